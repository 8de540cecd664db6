//! The `auravest-server` binary as an operator runs it: the main job on
//! SQLite with no configuration, `--demo`, the printed address, generated
//! secrets, the admin subcommand, TLS, and a graceful stop on SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_auravest-server");

struct Server {
    child: Child,
    addr: String,
    lines: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AURAVEST_ADDR", "127.0.0.1:0")
        .env("AURAVEST_AI", "false")
        .env("AURAVEST_MARKET_SOURCES", "sample")
        .env("AURAVEST_REFRESHER", "false")
        .env("AURAVEST_LOG", "warn");
    c
}

/// Starts the server and reads stdout until the address (and, with
/// `--demo`, the login) is printed.
fn start(mut c: Command, want_demo: bool) -> Server {
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = Vec::new();
    let mut addr = None;
    while Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            assert!(
                child.try_wait().unwrap().is_none(),
                "server exited: {lines:?}"
            );
            continue;
        };
        if let Some(a) = line
            .strip_prefix("listening on http://")
            .or_else(|| line.strip_prefix("listening on https://"))
        {
            addr = Some(a.to_owned());
        }
        let is_demo = line.starts_with("demo login: ");
        lines.push(line);
        if addr.is_some() && (!want_demo || is_demo) {
            break;
        }
    }
    Server {
        child,
        addr: addr.unwrap_or_else(|| panic!("no address printed: {lines:?}")),
        lines,
    }
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "server did not stop within 20 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_main_job_serves_the_demo_on_sqlite_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(
        {
            let mut c = command(dir.path());
            c.arg("--demo");
            c
        },
        true,
    );
    let demo = s
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("demo login: "))
        .unwrap()
        .to_owned();
    let (email, password) = demo.split_once(" / ").unwrap();
    // No configuration: a SQLite file and generated keys under ./data, private.
    assert!(dir.path().join("data/auravest.db").exists());
    let secrets = dir.path().join("data/secrets.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&secrets).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let health = curl(&[&format!("http://{}/health", s.addr)]);
    assert!(health.contains("ok"), "{health}");
    let login = curl(&[
        "-H",
        "content-type: application/json",
        "-d",
        &format!(r#"{{"email":"{email}","password":"{password}"}}"#),
        &format!("http://{}/api/v1/auth/login", s.addr),
    ]);
    let token: serde_json::Value =
        serde_json::from_str(&login).unwrap_or_else(|e| panic!("{e}: {login}"));
    let token = token["access_token"].as_str().unwrap().to_owned();
    let list = curl(&[
        "-H",
        &format!("authorization: Bearer {token}"),
        &format!("http://{}/api/v1/portfolios", s.addr),
    ]);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    let pid = list[0]["id"].as_str().unwrap().to_owned();
    let valuation = curl(&[
        "-H",
        &format!("authorization: Bearer {token}"),
        &format!("http://{}/api/v1/portfolios/{pid}/valuation", s.addr),
    ]);
    assert!(valuation.contains("\"AAPL\""), "{valuation}");
    sigterm(&s.child);
    assert!(wait_exit(&mut s.child).success());

    // A second start keeps the data and the keys: the same login works.
    let keys_before = std::fs::read_to_string(&secrets).unwrap();
    let s2 = start(
        {
            let mut c = command(dir.path());
            c.arg("--demo");
            c
        },
        true,
    );
    assert_eq!(std::fs::read_to_string(&secrets).unwrap(), keys_before);
    let list = curl(&[
        "-H",
        "content-type: application/json",
        "-d",
        &format!(r#"{{"email":"{email}","password":"{password}"}}"#),
        &format!("http://{}/api/v1/auth/login", s2.addr),
    ]);
    assert!(list.contains("access_token"), "{list}");
    drop(s2);

    // The admin subcommand grants a role by email.
    let out = command(dir.path())
        .args(["admin", "grant", "--email", email, "--role", "moderator"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("granted moderator"));
    let out = command(dir.path())
        .args(["admin", "grant", "--email", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn bad_settings_stop_the_server_with_the_variable_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(dir.path())
        .env("AURAVEST_ADDR", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("AURAVEST_ADDR"));
    let out = command(dir.path())
        .env("DATABASE_URL", "mysql://nowhere/db")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tls_with_a_configured_certificate_sends_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(ok.success());
    let s = start(
        {
            let mut c = command(dir.path());
            c.env("AURAVEST_TLS_CERT", &cert)
                .env("AURAVEST_TLS_KEY", &key);
            c
        },
        false,
    );
    assert!(
        s.lines
            .iter()
            .any(|l| l.starts_with("listening on https://")),
        "{:?}",
        s.lines
    );
    let headers = curl(&[
        "-k",
        "-D",
        "-",
        "-o",
        "/dev/null",
        &format!("https://{}/health", s.addr),
    ]);
    assert!(headers.starts_with("HTTP/"), "{headers}");
    assert!(
        headers.to_lowercase().contains("strict-transport-security"),
        "{headers}"
    );
    // Plain HTTP to the TLS port does not get an answer.
    let plain = curl(&[&format!("http://{}/health", s.addr)]);
    assert!(!plain.contains("ok"), "{plain}");
}

/// SIGTERM while the assistant is still building its index (MiniLM on a
/// fresh data folder takes tens of seconds): the server exits within a few
/// seconds instead of finishing the index first.
#[test]
fn sigterm_while_the_assistant_loads_exits_promptly() {
    let home = std::env::var("HOME").unwrap_or_default();
    let models = std::env::var("AURAVEST_MODELS_DIR")
        .unwrap_or_else(|_| format!("{home}/.cache/auravest/models"));
    if !Path::new(&models).join("all-MiniLM-L6-v2").exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the MiniLM weights are missing under CI (scripts/fetch-models.sh)"
        );
        eprintln!("skipped: MiniLM weights not installed (bash scripts/fetch-models.sh)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut c = command(dir.path());
    c.env("AURAVEST_AI", "true")
        .env("AURAVEST_AI_EMBEDDER", "minilm")
        .env("HOME", &home)
        .env("AURAVEST_MODELS_DIR", &models)
        .env("AURAVEST_LOG", "info")
        .env("AURAVEST_LOG_FORMAT", "text");
    let log = dir.path().join("server.log");
    c.stderr(std::fs::File::create(&log).unwrap());
    let mut child = c.stdout(Stdio::piped()).spawn().expect("server starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    assert!(first.starts_with("listening on"), "{first}");
    std::thread::sleep(Duration::from_millis(500));
    let loading = std::fs::read_to_string(&log).unwrap();
    assert!(
        !loading.contains("assistant ready"),
        "the index was built too fast for this test: {loading}"
    );
    sigterm(&child);
    let started = Instant::now();
    let status = wait_exit(&mut child);
    let took = started.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(
        took < Duration::from_secs(5),
        "exit took {took:?} after SIGTERM mid-load"
    );
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(!log.contains("assistant ready"), "{log}");
}
