//! The benchmark's own `redis-server`: a child process on a free 127.0.0.1 port, in a working
//! directory of its own (a fresh temporary one unless the caller gave one, removed at the
//! end), with the module loaded, no persistence, and its pid written to `redis.pid` there so
//! a wrapper script can stop it even if this process is killed. `stop` (and `Drop`, so also
//! on a panic) stops exactly this process: SIGTERM by its pid, then SIGKILL after a timeout.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{Connection, Value};

/// The module to load: the path in environment variable `var`, else this workspace's
/// release build.
pub fn module_from_env(var: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("release")
            .join("libredis_wtopk.so")
    })
}

const START_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const PORT_ATTEMPTS: usize = 5;
/// Long enough for FLUSHALL or ZUNIONSTORE over a million members on a busy machine.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
const POLL: Duration = Duration::from_millis(20);

pub struct Server {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    /// True when this process created `dir` and removes it at the end.
    owns_dir: bool,
}

impl Server {
    /// [`Server::start`], then announces the server on stderr as
    /// `<who>: redis-server <version> (pid <pid>) on 127.0.0.1:<port> with <module>`, or the
    /// failure as `<who>: <error>`. Returns the server and its Redis version.
    pub fn start_announced(
        who: &str,
        module: &Path,
        dir: Option<&Path>,
    ) -> Option<(Server, String)> {
        let server = match Server::start(module, dir) {
            Ok(server) => server,
            Err(e) => {
                eprintln!("{who}: {e}");
                return None;
            }
        };
        let version = server.redis_version();
        eprintln!(
            "{who}: redis-server {version} (pid {}) on 127.0.0.1:{} with {}",
            server
                .pid()
                .map_or_else(|| "?".to_string(), |pid| pid.to_string()),
            server.port(),
            module.display()
        );
        Some((server, version))
    }

    /// The `redis_version` field of `INFO server` ("?" if missing).
    pub fn redis_version(&self) -> String {
        let info = crate::client::text(&crate::client::call(
            &mut self.connect(),
            &["INFO", "server"],
        ));
        info.lines()
            .find_map(|line| line.strip_prefix("redis_version:"))
            .unwrap_or("?")
            .trim()
            .to_string()
    }

    /// Starts redis-server with `module` in `dir` (or a new temporary directory) and waits
    /// until this very process answers PING.
    pub fn start(module: &Path, dir: Option<&Path>) -> Result<Server, String> {
        if !module.is_file() {
            return Err(format!(
                "module not found at {}: run `cargo build --release -p redis-wtopk` (or set \
                 BENCH_MODULE)",
                module.display()
            ));
        }
        let (dir, owns_dir) = match dir {
            Some(dir) => (dir.to_path_buf(), false),
            None => (temp_dir(), true),
        };
        fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create the server directory {}: {e}", dir.display()))?;
        let mut server = Server {
            child: None,
            port: 0,
            dir,
            owns_dir,
        };
        for _ in 0..PORT_ATTEMPTS {
            server.port = free_port()?;
            if server.launch(module)? {
                return Ok(server);
            }
        }
        Err(format!(
            "redis-server could not bind a free port in {PORT_ATTEMPTS} attempts\n{}",
            server.log_tail()
        ))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// A new connection with generous timeouts (a stuck server fails the run, never hangs it).
    pub fn connect(&self) -> Connection {
        connect(self.port).unwrap_or_else(|e| panic!("cannot connect: {e}\n{}", self.log_tail()))
    }

    /// Stops the server (SIGTERM, then SIGKILL after `STOP_TIMEOUT`) and removes its
    /// directory if this process created it.
    pub fn stop(&mut self) -> Result<(), String> {
        let result = match self.child.take() {
            Some(child) => stop_child(child),
            None => Ok(()),
        };
        if self.owns_dir {
            let _ = fs::remove_dir_all(&self.dir);
            self.owns_dir = false;
        }
        result
    }

    /// The last lines of the server's log, for error messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(30);
        format!(
            "--- last lines of {} ---\n{}",
            self.log_path().display(),
            lines[start..].join("\n")
        )
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("redis.log")
    }

    /// Spawns the server and waits for it. Ok(false) when the port was taken meanwhile.
    fn launch(&mut self, module: &Path) -> Result<bool, String> {
        let log_path = self.log_path();
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let log_start = log.seek(SeekFrom::End(0)).unwrap_or(0);
        let stderr = log
            .try_clone()
            .map_err(|e| format!("cannot clone the log handle: {e}"))?;
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--pidfile")
            .arg(self.dir.join("redis.pid"))
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--loadmodule")
            .arg(module)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start redis-server (is it installed?): {e}"))?;
        let pid = child.id();
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let exited = self
                .child
                .as_mut()
                .and_then(|child| child.try_wait().ok().flatten());
            if let Some(status) = exited {
                self.child = None;
                if log_since(&log_path, log_start).contains("Address already in use") {
                    return Ok(false);
                }
                return Err(format!(
                    "redis-server exited at start with {status}\n{}",
                    self.log_tail()
                ));
            }
            if answers_as(self.port, pid) {
                return Ok(true);
            }
            if Instant::now() > deadline {
                let _ = self.stop();
                return Err(format!(
                    "redis-server did not answer PING within {START_TIMEOUT:?}\n{}",
                    self.log_tail()
                ));
            }
            sleep(POLL);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("bench: {e}");
        }
    }
}

/// A connection to 127.0.0.1:`port` with read and write timeouts.
pub fn connect(port: u16) -> Result<Connection, String> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .map_err(|e| format!("bad server address: {e}"))?;
    let con = client
        .get_connection_with_timeout(Duration::from_secs(5))
        .map_err(|e| format!("cannot connect to 127.0.0.1:{port}: {e}"))?;
    con.set_read_timeout(Some(COMMAND_TIMEOUT))
        .map_err(|e| format!("cannot set the read timeout: {e}"))?;
    con.set_write_timeout(Some(COMMAND_TIMEOUT))
        .map_err(|e| format!("cannot set the write timeout: {e}"))?;
    Ok(con)
}

/// SIGTERM to this child's pid, a bounded wait, then SIGKILL.
fn stop_child(mut child: Child) -> Result<(), String> {
    if let Ok(Some(_)) = child.try_wait() {
        return Ok(());
    }
    let pid = child.id();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return Ok(());
        }
        sleep(POLL);
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(format!(
        "redis-server (pid {pid}) did not exit within {STOP_TIMEOUT:?} of SIGTERM: killed"
    ))
}

/// True once the server on `port` answers PING and reports `pid` as its process id (not
/// another program's server that took the port first).
fn answers_as(port: u16, pid: u32) -> bool {
    let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{port}/")) else {
        return false;
    };
    let Ok(mut con) = client.get_connection_with_timeout(Duration::from_millis(500)) else {
        return false;
    };
    let _ = con.set_read_timeout(Some(Duration::from_secs(1)));
    if !matches!(redis::cmd("PING").query::<Value>(&mut con), Ok(Value::SimpleString(s)) if s == "PONG")
    {
        return false;
    }
    let Ok(info) = redis::cmd("INFO").arg("server").query::<String>(&mut con) else {
        return false;
    };
    info.lines()
        .any(|line| line.trim() == format!("process_id:{pid}"))
}

fn temp_dir() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("wtopk-bench-{}-{nanos}", std::process::id()))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("cannot bind 127.0.0.1:0 to find a free port: {e}"))
}

fn log_since(path: &Path, start: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        if file.seek(SeekFrom::Start(start)).is_ok() {
            let _ = file.read_to_string(&mut text);
        }
    }
    text
}
