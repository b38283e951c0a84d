//! A real S3-compatible server for the S3 tests, and a fault-injecting
//! proxy of our own in front of it.
//!
//! The server is moto (`moto[server]` from PyPI): `scripts/test` installs it
//! in a virtual environment and points `VENDORTRAIL_TEST_PYTHON` at its
//! interpreter; otherwise `python3` must import it. One server is started on
//! 127.0.0.1 at a free port for the whole test binary; it exits when this
//! process does (it waits for end-of-file on its stdin, which the test
//! process holds).
//!
//! The proxy relays one request per connection and can, by request number,
//! answer `503 SlowDown`, cut a GET's body off half-way, deny a bucket or
//! fail one key every time; it logs every request so tests can count list
//! calls and GETs independently of the tool's own counters.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The moto server: its endpoint, and the child process kept alive.
pub struct Moto {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    _child: Mutex<Child>,
}

/// The moto server of this test binary, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start_moto)
}

const LAUNCHER: &str = r#"
import os, sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
os._exit(0)
"#;

fn start_moto() -> Moto {
    let python = std::env::var("VENDORTRAIL_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .args(["-c", LAUNCHER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}; run the tests with scripts/test"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read moto's port");
    let port: u16 = line.trim().parse().unwrap_or_else(|_| {
        panic!(
            "moto did not start (`{python}` must import moto[server]; scripts/test installs it): {line:?}"
        )
    });
    Moto {
        endpoint: format!("http://127.0.0.1:{port}"),
        _child: Mutex::new(child),
    }
}

/// Creates a bucket (unsigned requests: moto accepts them).
pub fn create_bucket(bucket: &str) {
    ureq::put(&format!("{}/{bucket}", moto().endpoint))
        .send_empty()
        .unwrap_or_else(|e| panic!("create bucket {bucket}: {e}"));
}

/// Creates a bucket in a Region other than us-east-1.
pub fn create_bucket_in(bucket: &str, region: &str) {
    let body = format!(
        "<CreateBucketConfiguration><LocationConstraint>{region}</LocationConstraint></CreateBucketConfiguration>"
    );
    ureq::put(&format!("{}/{bucket}", moto().endpoint))
        .header("Content-Type", "application/xml")
        .send(body.as_bytes())
        .unwrap_or_else(|e| panic!("create bucket {bucket} in {region}: {e}"));
}

/// Uploads one object.
pub fn put_object(bucket: &str, key: &str, body: &[u8]) {
    // An explicit binary type: moto parses a form-encoded body as a form
    // (and so loses it).
    ureq::put(&format!("{}/{bucket}/{key}", moto().endpoint))
        .header("Content-Type", "application/octet-stream")
        .send(body)
        .unwrap_or_else(|e| panic!("put {bucket}/{key}: {e}"));
}

/// Uploads every file under `dir` with its path relative to `dir` as key
/// (after `prefix`), keeping only files `keep` accepts; returns the keys.
pub fn upload_tree(
    bucket: &str,
    prefix: &str,
    dir: &std::path::Path,
    keep: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut keys = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(dir).expect("relative");
            let key = format!("{prefix}{}", rel.to_str().expect("utf-8 path"));
            if keep(&key) {
                put_object(bucket, &key, &std::fs::read(&path).expect("read"));
                keys.push(key);
            }
        }
    }
    keys.sort();
    keys
}

/// What the proxy breaks, by request number (counted from 1).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer every n-th request with `503 SlowDown` (0: never).
    pub throttle_every: usize,
    /// Cut every n-th object GET's body off half-way (0: never).
    pub drop_body_every: usize,
    /// Answer `403 AccessDenied` for this bucket.
    pub deny_bucket: Option<String>,
    /// Answer `500 InternalError` to every GET of a key containing this.
    pub fail_key: Option<String>,
    /// Wait this long before answering each request (network latency).
    pub latency: std::time::Duration,
    /// Answer a GET or HEAD seen before from memory instead of moto (for
    /// the benchmark: moto, one Python process, answers about 200
    /// requests a second, which would hide the client's own behaviour).
    pub replay: bool,
}

/// One request seen by the proxy.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The method.
    pub method: String,
    /// The path, percent-encoded as sent.
    pub path: String,
    /// The query string (without `?`).
    pub query: String,
    /// The Region in the SigV4 credential scope of `Authorization`.
    pub signed_for: Option<String>,
}

impl Seen {
    /// True for a ListObjectsV2 call.
    pub fn is_list(&self) -> bool {
        self.method == "GET" && self.query.split('&').any(|p| p == "list-type=2")
    }

    /// True for a GetObject call.
    pub fn is_get_object(&self) -> bool {
        self.method == "GET" && !self.is_list() && self.path.matches('/').count() >= 2
    }

    /// A query parameter, percent-decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        self.query.split('&').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k == name).then(|| {
                percent_encoding::percent_decode_str(v)
                    .decode_utf8_lossy()
                    .into_owned()
            })
        })
    }
}

/// A fault-injecting HTTP proxy on loopback in front of moto.
pub struct Proxy {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    /// Starts a proxy with these faults.
    pub fn start(faults: Faults) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let upstream = moto().endpoint.trim_start_matches("http://").to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(ProxyState {
            faults,
            upstream,
            requests: AtomicUsize::new(0),
            gets: AtomicUsize::new(0),
            seen: seen.clone(),
            replies: Mutex::new(std::collections::HashMap::new()),
        });
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let state = state.clone();
                std::thread::spawn(move || {
                    let _ = state.serve(conn);
                });
            }
        });
        Proxy { endpoint, seen }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    /// Forgets the requests seen so far.
    pub fn clear(&self) {
        self.seen.lock().expect("lock").clear();
    }
}

struct ProxyState {
    faults: Faults,
    upstream: String,
    requests: AtomicUsize,
    gets: AtomicUsize,
    seen: Arc<Mutex<Vec<Seen>>>,
    replies: Mutex<std::collections::HashMap<String, Arc<Vec<u8>>>>,
}

impl ProxyState {
    fn serve(&self, mut client: TcpStream) -> std::io::Result<()> {
        let (head, body) = read_request(&mut client)?;
        let request_line = head.lines().next().unwrap_or_default().to_string();
        let mut parts = request_line.split(' ');
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().unwrap_or_default().to_string();
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let seen = Seen {
            method,
            path: path.to_string(),
            query: query.to_string(),
            signed_for: signing_region(&head),
        };
        self.seen.lock().expect("lock").push(seen.clone());
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let bucket = seen
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        if self.faults.deny_bucket.as_deref() == Some(bucket) {
            return respond(&mut client, 403, "AccessDenied", "Access Denied");
        }
        if seen.is_get_object()
            && let Some(fail) = &self.faults.fail_key
            && seen.path.contains(fail.as_str())
        {
            return respond(&mut client, 500, "InternalError", "injected failure");
        }
        if self.faults.throttle_every > 0 && n.is_multiple_of(self.faults.throttle_every) {
            return respond(
                &mut client,
                503,
                "SlowDown",
                "Please reduce your request rate.",
            );
        }
        std::thread::sleep(self.faults.latency);
        let replayable = self.faults.replay && matches!(seen.method.as_str(), "GET" | "HEAD");
        let remembered = replayable
            .then(|| {
                self.replies
                    .lock()
                    .expect("lock")
                    .get(&request_line)
                    .cloned()
            })
            .flatten();
        let response = match remembered {
            Some(response) => response,
            None => {
                let response = Arc::new(self.forward(&head, &body)?);
                if replayable {
                    self.replies
                        .lock()
                        .expect("lock")
                        .insert(request_line.clone(), response.clone());
                }
                response
            }
        };
        let cut = seen.is_get_object() && self.faults.drop_body_every > 0 && {
            let g = self.gets.fetch_add(1, Ordering::SeqCst) + 1;
            g.is_multiple_of(self.faults.drop_body_every)
        };
        if cut {
            let split = find_head_end(&response).unwrap_or(response.len());
            let body_len = response.len() - split;
            client.write_all(&response[..split + body_len / 2])?;
            client.flush()?;
            return client.shutdown(Shutdown::Both);
        }
        client.write_all(&response)?;
        client.shutdown(Shutdown::Write)
    }

    /// Sends the request upstream on a fresh connection with
    /// `Connection: close`, and reads the whole response.
    fn forward(&self, head: &str, body: &[u8]) -> std::io::Result<Vec<u8>> {
        let mut upstream = TcpStream::connect(&self.upstream)?;
        let mut out = String::new();
        for (i, line) in head.split("\r\n").enumerate() {
            if line.is_empty() {
                continue;
            }
            if i > 0 && line.to_ascii_lowercase().starts_with("connection:") {
                continue;
            }
            out.push_str(line);
            out.push_str("\r\n");
        }
        out.push_str("Connection: close\r\n\r\n");
        upstream.write_all(out.as_bytes())?;
        upstream.write_all(body)?;
        let mut response = Vec::new();
        upstream.read_to_end(&mut response)?;
        Ok(close_after(response))
    }
}

/// Reads one request: its head (through the blank line) and its body (by
/// Content-Length).
fn read_request(conn: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = find_head_end(&buf) {
            break end;
        }
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok((head, body))
}

/// The Region of `Credential=<key>/<date>/<region>/s3/aws4_request`.
fn signing_region(head: &str) -> Option<String> {
    let auth = head.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("authorization").then_some(value)
    })?;
    let scope = auth.split("Credential=").nth(1)?;
    scope.split('/').nth(2).map(str::to_string)
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Makes the response say `Connection: close`, so the client never reuses
/// a connection this proxy is about to close.
fn close_after(response: Vec<u8>) -> Vec<u8> {
    let Some(end) = find_head_end(&response) else {
        return response;
    };
    let head = String::from_utf8_lossy(&response[..end]);
    let mut out = String::new();
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&response[end..]);
    bytes
}

/// An S3 error response.
fn respond(conn: &mut TcpStream, status: u16, code: &str, message: &str) -> std::io::Result<()> {
    let reason = match status {
        403 => "Forbidden",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>proxy</RequestId></Error>"
    );
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(response.as_bytes())?;
    conn.shutdown(Shutdown::Write)
}
