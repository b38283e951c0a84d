//! A loopback HTTP/1.1 file server with fault injection, so tests drive
//! the real download code without touching the network.
//!
//! It serves files under a root directory (GET only, keep-alive, a thread
//! per connection) and can be told to misbehave for the first N requests of
//! a path: answer with a status, drop the connection, send half a body, or
//! stall.

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// A way to misbehave for one request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Fault {
    /// Answer with this status and an empty body.
    Status(u16),
    /// Close the connection without answering.
    Drop,
    /// Send the full `Content-Length` but only half the body, then close.
    Truncate,
    /// Say nothing for this long, then close.
    Stall(Duration),
}

/// Pass as `times` for a fault that never wears off.
pub(crate) const ALWAYS: usize = usize::MAX;

#[derive(Default)]
struct State {
    root: PathBuf,
    /// Path → (fault, remaining times).
    faults: Mutex<HashMap<String, (Fault, usize)>>,
    /// Path → requests received.
    hits: Mutex<HashMap<String, usize>>,
}

impl State {
    /// Counts the request and returns the fault to apply, if any.
    fn on_request(&self, path: &str) -> Option<Fault> {
        *lock(&self.hits).entry(path.to_string()).or_default() += 1;
        let mut faults = lock(&self.faults);
        let (fault, remaining) = faults.get_mut(path)?;
        if *remaining == 0 {
            return None;
        }
        *remaining = remaining.saturating_sub(usize::from(*remaining != ALWAYS));
        Some(*fault)
    }

    /// Maps a URL path to a file under the root, refusing `..`.
    fn file(&self, path: &str) -> Option<Vec<u8>> {
        let relative = Path::new(path.trim_start_matches('/'));
        let safe = relative
            .components()
            .all(|component| matches!(component, Component::Normal(_)));
        if !safe {
            return None;
        }
        fs::read(self.root.join(relative)).ok()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking connection thread must not wedge the other tests' view.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running server; stops accepting when dropped.
pub(crate) struct TestServer {
    addr: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Serves `root` on an ephemeral port of 127.0.0.1.
    pub(crate) fn start(root: &Path) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            root: root.to_path_buf(),
            ..State::default()
        });
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            thread::spawn(move || accept_loop(&listener, &state, &stop))
        };
        TestServer {
            addr,
            state,
            stop,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Applies `fault` to the next `times` requests for `path`.
    pub(crate) fn inject(&self, path: &str, fault: Fault, times: usize) {
        lock(&self.state.faults).insert(path.to_string(), (fault, times));
    }

    /// Requests received for `path` so far.
    pub(crate) fn hits(&self, path: &str) -> usize {
        lock(&self.state.hits).get(path).copied().unwrap_or(0)
    }

    /// Requests received for all paths.
    pub(crate) fn total_hits(&self) -> usize {
        lock(&self.state.hits).values().sum()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the loop sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(listener: &TcpListener, state: &Arc<State>, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let state = Arc::clone(state);
        thread::spawn(move || {
            // Errors just end the connection, as for a real server.
            let _ = serve_connection(stream, &state);
        });
    }
}

/// Answers requests on one connection until the client closes it, asks to
/// close, or a fault ends it. Returning drops the socket.
fn serve_connection(stream: TcpStream, state: &State) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader)? {
        match state.on_request(&request.path) {
            Some(Fault::Drop) => return Ok(()),
            Some(Fault::Stall(delay)) => {
                thread::sleep(delay);
                return Ok(());
            }
            Some(Fault::Status(status)) => respond(&mut writer, status, b"")?,
            Some(Fault::Truncate) => {
                let body = state.file(&request.path).unwrap_or_default();
                writer.write_all(head(200, body.len()).as_bytes())?;
                writer.write_all(&body[..body.len() / 2])?;
                return writer.flush();
            }
            None => match state.file(&request.path) {
                Some(body) => respond(&mut writer, 200, &body)?,
                None => respond(&mut writer, 404, b"")?,
            },
        }
        if request.close {
            return Ok(());
        }
    }
    Ok(())
}

struct Request {
    path: String,
    close: bool,
}

/// Reads a request line and headers; `None` at a clean end of stream.
fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or(target).to_string();
    let mut close = false;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        let header = header.to_ascii_lowercase();
        if header.starts_with("connection:") && header.contains("close") {
            close = true;
        }
    }
    Ok(Some(Request { path, close }))
}

/// Sends head and body in one write: two small writes would meet Nagle's
/// algorithm and delayed ACKs and add ~40 ms per response.
fn respond(writer: &mut impl Write, status: u16, body: &[u8]) -> io::Result<()> {
    let mut response = head(status, body.len()).into_bytes();
    response.extend_from_slice(body);
    writer.write_all(&response)?;
    writer.flush()
}

fn head(status: u16, length: usize) -> String {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}
