//! A real `redis-server` child process with the module loaded: a free loopback port, its own
//! temporary directory (removed on drop), a log file there, and helpers to stop it
//! (SIGTERM), crash it (SIGKILL), restart it on the same port and directory (so RDB and AOF
//! reload), and attach a replica. Every wait is bounded; only 127.0.0.1 is used.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{Connection, PubSub, Value};

use super::replies::{info_field, run, server_info, try_run};

const START_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
const SYNC_TIMEOUT: Duration = Duration::from_secs(20);
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(20);
const PORT_ATTEMPTS: usize = 5;
const LOG_TAIL_LINES: usize = 40;

/// The module to load: `$WTOPK_MODULE`, else `libredis_wtopk.so` of the profile this test
/// binary was built with (test binaries live in `target/<profile>/deps/`). `cargo test` does
/// not build the module, so a module older than the sources is refused too.
pub fn module_path() -> PathBuf {
    if let Some(path) = std::env::var_os("WTOPK_MODULE") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "WTOPK_MODULE={} is not a file",
            path.display()
        );
        return path;
    }
    let exe = std::env::current_exe().expect("path of the test binary");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary inside target/<profile>/deps/");
    let build = if profile_dir.ends_with("release") {
        "cargo build --release -p redis-wtopk"
    } else {
        "cargo build -p redis-wtopk"
    };
    let path = profile_dir.join("libredis_wtopk.so");
    assert!(
        path.is_file(),
        "module not found at {}: run `{build}` first (or set WTOPK_MODULE to the module's path)",
        path.display()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sources = [root.join("src"), root.join("core").join("src")];
    let newest_source = sources.iter().filter_map(|dir| newest_mtime(dir)).max();
    let built = fs::metadata(&path).and_then(|m| m.modified()).ok();
    if let (Some(source), Some(built)) = (newest_source, built) {
        assert!(
            built >= source,
            "module {} is older than the sources: run `{build}` first",
            path.display()
        );
    }
    path
}

/// The latest modification time of any file under `dir`.
fn newest_mtime(dir: &Path) -> Option<SystemTime> {
    fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let path = entry.path();
            if path.is_dir() {
                newest_mtime(&path)
            } else {
                entry.metadata().and_then(|m| m.modified()).ok()
            }
        })
        .max()
}

/// Module arguments and extra configuration for a server.
#[derive(Clone, Debug, Default)]
pub struct ServerOptions {
    module_args: Vec<String>,
    config: Vec<(String, String)>,
    rdb: Option<PathBuf>,
}

impl ServerOptions {
    pub fn new() -> Self {
        Self::default()
    }

    /// An argument passed to the module after its path (e.g. `PREFIX`, `WTOPK`).
    pub fn module_arg(mut self, arg: &str) -> Self {
        self.module_args.push(arg.to_string());
        self
    }

    /// A configuration directive given as `--name value` (e.g. `appendonly`, `yes`).
    pub fn config(mut self, name: &str, value: &str) -> Self {
        self.config.push((name.to_string(), value.to_string()));
        self
    }

    /// Starts the server on a copy of this RDB file (its `dump.rdb`).
    pub fn rdb(mut self, path: &Path) -> Self {
        self.rdb = Some(path.to_path_buf());
        self
    }
}

/// A unique directory under the system temp dir, removed with its content on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock after 1970")
            .subsec_nanos();
        let name = format!(
            "wtopk-test-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        fs::create_dir_all(&path).expect("create the server's temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A running (or stopped, restartable) `redis-server` with the module loaded.
pub struct Server {
    options: ServerOptions,
    port: u16,
    child: Option<Child>,
    dir: TempDir,
}

impl Server {
    /// Starts a server on a free port and waits until it answers PING.
    pub fn start(options: ServerOptions) -> Server {
        let mut server = Server {
            options,
            port: 0,
            child: None,
            dir: TempDir::new(),
        };
        if let Some(rdb) = &server.options.rdb {
            fs::copy(rdb, server.dump_path())
                .unwrap_or_else(|e| panic!("copy {} into the server's dir: {e}", rdb.display()));
        }
        for _ in 0..PORT_ATTEMPTS {
            server.port = free_port();
            if server.launch() {
                return server;
            }
        }
        panic!(
            "redis-server could not bind a free port in {PORT_ATTEMPTS} attempts\n{}",
            server.log_tail()
        );
    }

    /// Starts a server with no module arguments and no extra configuration.
    pub fn default_start() -> Server {
        Server::start(ServerOptions::new())
    }

    /// The server's working directory (its RDB and AOF files).
    pub fn dir(&self) -> &Path {
        &self.dir.0
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new connection, with read and write timeouts so no test can hang forever.
    pub fn client(&self) -> Connection {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .expect("client for the test server");
        let con = client
            .get_connection_with_timeout(COMMAND_TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot connect: {e}\n{}", self.log_tail()));
        con.set_read_timeout(Some(COMMAND_TIMEOUT))
            .expect("read timeout");
        con.set_write_timeout(Some(COMMAND_TIMEOUT))
            .expect("write timeout");
        con
    }

    /// Stops the server with SIGTERM (a clean shutdown) and waits for it to exit with status
    /// 0; panics with the log's tail otherwise.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("run kill -TERM");
        assert!(status.success(), "kill -TERM {} failed", child.id());
        match wait_exit(&mut child, STOP_TIMEOUT) {
            Some(status) if status.success() => {}
            Some(status) => panic!(
                "redis-server exited with {status} on SIGTERM\n{}",
                self.log_tail()
            ),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "redis-server did not exit within {STOP_TIMEOUT:?} of SIGTERM\n{}",
                    self.log_tail()
                );
            }
        }
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server cleanly and starts it again on the same port and directory.
    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
    }

    /// Starts a stopped (or killed) server again on the same port and directory.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "start_again on a running server");
        assert!(
            self.launch(),
            "port {} was taken while the server was down\n{}",
            self.port,
            self.log_tail()
        );
    }

    /// Panics (with the log's tail) unless the process runs and answers PING.
    pub fn assert_alive(&mut self) {
        if let Some(child) = self.child.as_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("redis-server exited with {status}\n{}", self.log_tail());
            }
        } else {
            panic!("redis-server is not running");
        }
        let mut con = self.client();
        let pong = try_run(&mut con, &["PING"]);
        assert!(
            matches!(&pong, Ok(Value::SimpleString(s)) if s == "PONG"),
            "PING answered {pong:?}\n{}",
            self.log_tail()
        );
    }

    /// The whole server log (every start of this server appends to it).
    pub fn log(&self) -> String {
        fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The last lines of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let start = lines.len().saturating_sub(LOG_TAIL_LINES);
        format!(
            "--- last lines of {} ---\n{}",
            self.log_path().display(),
            lines[start..].join("\n")
        )
    }

    /// Starts a second server (same options) as a replica of `self` and waits until it is
    /// in sync.
    pub fn replica(&self) -> Server {
        let replica = Server::start(self.options.clone());
        let port = self.port.to_string();
        run(
            &mut replica.client(),
            &["REPLICAOF", "127.0.0.1", port.as_str()],
        );
        wait_for_sync(self, &replica);
        replica
    }

    /// Turns on keyspace notifications of `classes` (e.g. `Ed`) and subscribes `listener`
    /// to every key event of db 0, with a 10 s read timeout.
    pub fn keyevents<'a>(&self, listener: &'a mut Connection, classes: &str) -> PubSub<'a> {
        run(
            &mut self.client(),
            &["CONFIG", "SET", "notify-keyspace-events", classes],
        );
        let mut pubsub = listener.as_pubsub();
        pubsub
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        pubsub.psubscribe("__keyevent@0__:*").expect("psubscribe");
        pubsub
    }

    /// The RDB file the server loads at start and writes on SAVE.
    pub fn dump_path(&self) -> PathBuf {
        self.dir.0.join("dump.rdb")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.0.join("redis.log")
    }

    /// Spawns redis-server and waits for PING. Returns false if the port was taken; panics
    /// on any other failure.
    fn launch(&mut self) -> bool {
        let log_path = self.log_path();
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .expect("open the server log");
        let log_start = log.seek(SeekFrom::End(0)).expect("log length");
        let stderr = log.try_clone().expect("clone the log handle");
        let mut command = Command::new("redis-server");
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir.0)
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--enable-debug-command", "local"])
            .args(["--enable-module-command", "yes"]);
        for (name, value) in &self.options.config {
            command.arg(format!("--{name}")).arg(value);
        }
        command
            .arg("--loadmodule")
            .arg(module_path())
            .args(&self.options.module_args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr);
        let child = command
            .spawn()
            .expect("start redis-server (is it installed? run scripts/install-deps.sh)");
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
                    return false;
                }
                panic!(
                    "redis-server exited at start with {status}\n{}",
                    self.log_tail()
                );
            }
            if self.answers_ping() {
                return true;
            }
            if Instant::now() > deadline {
                self.kill9();
                panic!(
                    "redis-server did not answer PING within {START_TIMEOUT:?}\n{}",
                    self.log_tail()
                );
            }
            sleep(POLL);
        }
    }

    /// True once our own process (not another test's server that took the port first)
    /// answers PING with PONG (not an error such as LOADING).
    fn answers_ping(&self) -> bool {
        let Some(pid) = self.child.as_ref().map(Child::id) else {
            return false;
        };
        let Ok(client) = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)) else {
            return false;
        };
        let Ok(mut con) = client.get_connection_with_timeout(Duration::from_millis(500)) else {
            return false;
        };
        let _ = con.set_read_timeout(Some(Duration::from_secs(1)));
        let pong = try_run(&mut con, &["PING"]);
        if !matches!(pong, Ok(Value::SimpleString(s)) if s == "PONG") {
            return false;
        }
        let info = match try_run(&mut con, &["INFO", "server"]) {
            Ok(Value::BulkString(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            Ok(Value::VerbatimString { text, .. }) => text,
            _ => return false,
        };
        info_field(&info, "process_id") == Some(pid.to_string().as_str())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail());
        }
        self.kill9();
    }
}

/// Waits until `replica` has its link to `master` up and has processed every byte of the
/// master's replication stream.
pub fn wait_for_sync(master: &Server, replica: &Server) {
    let mut master_con = master.client();
    let mut replica_con = replica.client();
    let deadline = Instant::now() + SYNC_TIMEOUT;
    loop {
        let master_info = server_info(&mut master_con, "replication");
        let replica_info = server_info(&mut replica_con, "replication");
        let link_up = info_field(&replica_info, "master_link_status") == Some("up");
        let master_offset = info_field(&master_info, "master_repl_offset");
        let replica_offset = info_field(&replica_info, "slave_repl_offset");
        if link_up && master_offset.is_some() && master_offset == replica_offset {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "replica not in sync within {SYNC_TIMEOUT:?}\nmaster:\n{master_info}\nreplica:\n\
             {replica_info}\n{}\n{}",
            master.log_tail(),
            replica.log_tail()
        );
        sleep(POLL);
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() > deadline {
            return None;
        }
        sleep(POLL);
    }
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
