//! yamux-rust-peer: the PEER_CLI.md interop peer on the rust-yamux crate (paritytech).
//!
//! rust-yamux's `Connection` is a poll-driven state machine: one driver task owns it and
//! polls `poll_next_inbound` (which also does all socket I/O) and `poll_new_outbound`
//! (on request, through a channel); streams are futures-io AsyncRead/AsyncWrite.

mod cli;
mod sniff;

use futures::future::{poll_fn, select, Either};
use futures::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::compat::TokioAsyncReadCompatExt;
use yamux::{Connection, ConnectionError, Mode, Stream};

use cli::{Opts, Parsed};

static OPENED: AtomicU64 = AtomicU64::new(0);
static ACCEPTED: AtomicU64 = AtomicU64::new(0);
static SENT: AtomicU64 = AtomicU64::new(0);
static RECEIVED: AtomicU64 = AtomicU64::new(0);
/// When the first session started (the `seconds` of --stats).
static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Large enough for --idle/--open runs; rust-yamux's default (512) would refuse more.
const MAX_STREAMS: usize = 1 << 20;

fn main() {
    let opts = match cli::parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(o)) => o,
        Ok(Parsed::Help) => {
            println!("{}", cli::USAGE);
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("yamux-rust-peer: {e}\n{}", cli::USAGE);
            std::process::exit(2);
        }
    };
    if let Some(msg) = opts.unsupported() {
        eprintln!("yamux-rust-peer: unsupported: {msg}");
        std::process::exit(2);
    }
    if let Some(k) = opts.keepalive {
        eprintln!(
            "yamux-rust-peer: note: --keepalive {k} ignored: rust-yamux has no keepalive \
             setting (it answers pings and sends its own RTT pings every 10 s while busy)"
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = rt.block_on(run(Arc::new(opts)));
    std::process::exit(code);
}

fn print_stats() {
    println!(
        "stats {{\"streams_opened\":{},\"streams_accepted\":{},\"bytes_sent\":{},\
         \"bytes_received\":{},\"seconds\":{:.6},\"pings\":0}}",
        OPENED.load(Relaxed),
        ACCEPTED.load(Relaxed),
        SENT.load(Relaxed),
        RECEIVED.load(Relaxed),
        STARTED.get().map_or(0.0, |t| t.elapsed().as_secs_f64())
    );
}

/// SIGTERM or SIGINT: print the stats (with --stats) and exit 0. This is how a listener
/// without --once ends.
async fn on_signal(stats: bool) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return;
    };
    select(Box::pin(term.recv()), Box::pin(int.recv())).await;
    if stats {
        print_stats();
    }
    std::process::exit(0);
}

async fn run(o: Arc<Opts>) -> i32 {
    tokio::spawn(on_signal(o.stats));
    let code = if let Some(addr) = &o.connect {
        match TcpStream::connect(addr.as_str()).await {
            Ok(tcp) => session(tcp, Mode::Client, o.clone()).await,
            Err(e) => {
                eprintln!("yamux-rust-peer: connect {addr}: {e}");
                1
            }
        }
    } else {
        let addr = o.listen.as_deref().unwrap();
        let listener = match TcpListener::bind(addr).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("yamux-rust-peer: listen {addr}: {e}");
                return 1;
            }
        };
        println!("listening {}", listener.local_addr().unwrap());
        loop {
            let tcp = match listener.accept().await {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    eprintln!("yamux-rust-peer: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await; // EMFILE and the like
                    continue;
                }
            };
            if o.once {
                drop(listener);
                break session(tcp, Mode::Server, o.clone()).await;
            }
            let o = o.clone();
            tokio::spawn(async move {
                let code = session(tcp, Mode::Server, o).await;
                if code != 0 {
                    eprintln!("yamux-rust-peer: session ended with status {code}");
                }
            });
        }
    };
    if o.stats {
        print_stats();
    }
    code
}

fn config(o: &Opts) -> yamux::Config {
    // rust-yamux has no per-stream maximum: every stream starts at 256 KiB and may
    // auto-tune upwards, limited by a connection-wide budget. A budget of exactly
    // MAX_STREAMS * 256 KiB + (window - 256 KiB) pins every stream to 256 KiB for the
    // default --window and lets one stream grow to exactly --window otherwise (the growth
    // above 256 KiB is shared by the connection's streams).
    let base = MAX_STREAMS * cli::DEFAULT_WINDOW as usize;
    let mut cfg = yamux::Config::default();
    cfg.set_max_connection_receive_window(Some(base + (o.window - cli::DEFAULT_WINDOW) as usize));
    cfg.set_max_num_streams(MAX_STREAMS);
    cfg
}

enum Cmd {
    Open(oneshot::Sender<yamux::Result<Stream>>),
    Close { goaway: bool },
}

/// What the tasks of one session share.
struct Sess {
    o: Arc<Opts>,
    st: Arc<sniff::State>,
    tx: mpsc::UnboundedSender<Cmd>,
    /// Accepted streams are acknowledged at once but served only once this is true: after
    /// the SYNs of all our own streams are on the wire (as the Go peer does), so a remote
    /// that also opens streams sees all of ours before any of its own completes.
    gate: watch::Receiver<bool>,
    /// Accepted streams still being served.
    serving: AtomicU64,
}

impl Sess {
    fn closed(&self) -> bool {
        self.tx.is_closed() // the driver has returned
    }
}

/// One yamux session over an established TCP connection; returns the exit status.
///
/// A peer with work of its own (--open, --idle, --goaway) does it, waits until the
/// streams the remote opened are served, then closes (GoAway(0) first with --goaway);
/// a peer without work serves until the remote ends the session.
async fn session(tcp: TcpStream, mode: Mode, o: Arc<Opts>) -> i32 {
    STARTED.get_or_init(Instant::now);
    let _ = tcp.set_nodelay(true);
    // Keep a duplicate of the socket so that after rust-yamux drops its end we can shut
    // down and drain it: closing with unread bytes would send a TCP RST to the remote.
    let std_tcp = tcp.into_std().expect("into_std");
    let keep = std_tcp.try_clone().expect("dup socket");
    let tcp = TcpStream::from_std(std_tcp).expect("from_std");

    let st = Arc::new(sniff::State::new(mode == Mode::Client));
    let io = sniff::Sniff::new(tcp.compat(), st.clone());
    let conn = Connection::new(io, config(&o), mode);
    let (tx, rx) = mpsc::unbounded_channel();
    let (gate_tx, gate) = watch::channel(o.open == 0);
    let sess = Arc::new(Sess {
        o: o.clone(),
        st: st.clone(),
        tx,
        gate,
        serving: AtomicU64::new(0),
    });
    let driver = tokio::spawn(drive(conn, rx, sess.clone()));

    let mut ok = true;
    let mut idle_streams = Vec::new();
    if o.open > 0 {
        ok &= open_all(&sess, &gate_tx).await;
    }
    let _ = gate_tx.send(true);
    if let Some(n) = o.idle {
        ok &= idle(&sess, n, &mut idle_streams).await;
    }
    if o.open > 0 || o.idle.is_some() || o.goaway {
        while sess.serving.load(Relaxed) > 0 && !sess.closed() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let _ = sess.tx.send(Cmd::Close { goaway: o.goaway });
    }
    let result = driver.await.unwrap_or(Err(ConnectionError::Closed));
    drop(idle_streams);
    linger(keep).await;

    if let Some(why) = st.protocol_error() {
        eprintln!("yamux-rust-peer: protocol error: {why}");
        return 3;
    }
    match result {
        // an I/O error while reading a frame (say, the connection closed inside one) is
        // not malformed input
        Err(ConnectionError::Decode(yamux::FrameDecodeError::Io(e))) => {
            eprintln!("yamux-rust-peer: session ended: {e}");
        }
        Err(e @ ConnectionError::Decode(_)) | Err(e @ ConnectionError::InvalidWindowUpdate) => {
            eprintln!("yamux-rust-peer: protocol error: {e}");
            return 3;
        }
        Err(ConnectionError::Closed) | Ok(()) => {}
        Err(e) => eprintln!("yamux-rust-peer: session ended: {e}"),
    }
    if ok {
        0
    } else {
        1
    }
}

/// Owns the Connection: serves inbound streams, opens outbound ones on request, closes.
async fn drive(
    mut conn: Connection<sniff::Sniff<tokio_util::compat::Compat<TcpStream>>>,
    mut rx: mpsc::UnboundedReceiver<Cmd>,
    sess: Arc<Sess>,
) -> yamux::Result<()> {
    let mut pending: Option<oneshot::Sender<yamux::Result<Stream>>> = None;
    let mut close: Option<bool> = None;
    poll_fn(|cx| loop {
        if close.is_none() && pending.is_none() {
            match rx.poll_recv(cx) {
                Poll::Ready(Some(Cmd::Open(t))) => pending = Some(t),
                Poll::Ready(Some(Cmd::Close { goaway })) => close = Some(goaway),
                Poll::Ready(None) | Poll::Pending => {}
            }
        }
        match close {
            Some(true) => return conn.poll_close(cx), // GoAway(0), then close the socket
            Some(false) => return Poll::Ready(Ok(())), // dropping conn closes the socket
            None => {}
        }
        if let Some(t) = pending.take() {
            match conn.poll_new_outbound(cx) {
                Poll::Ready(r) => {
                    let _ = t.send(r);
                    continue;
                }
                Poll::Pending => pending = Some(t),
            }
        }
        match conn.poll_next_inbound(cx) {
            Poll::Ready(Some(Ok(s))) => {
                sess.serving.fetch_add(1, Relaxed);
                let sess = sess.clone();
                tokio::spawn(async move {
                    serve(s, &sess).await;
                    sess.serving.fetch_sub(1, Relaxed);
                });
                continue;
            }
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e)),
            Poll::Ready(None) => return Poll::Ready(Ok(())),
            Poll::Pending => return Poll::Pending,
        }
    })
    .await
}

/// Waits (polling: these are short waits) until `done()` or the session has ended.
async fn wait_until(sess: &Sess, limit: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while !done() {
        if sess.closed() || Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    true
}

/// Shut down our sending side and read until the remote closes too (at most 2 s).
async fn linger(keep: std::net::TcpStream) {
    let _ = tokio::task::spawn_blocking(move || {
        let _ = keep.set_nonblocking(false);
        let _ = keep.shutdown(std::net::Shutdown::Write);
        let deadline = Instant::now() + Duration::from_secs(2);
        let _ = keep.set_read_timeout(Some(Duration::from_millis(200)));
        let mut buf = [0u8; 16384];
        while Instant::now() < deadline {
            match (&keep).read(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => break,
            }
        }
    })
    .await;
}

async fn open_stream(sess: &Sess) -> Result<Stream, String> {
    // an open credit: fewer than MAX_UNANSWERED of our streams await the remote's answer
    sess.st
        .credits
        .acquire()
        .await
        .expect("semaphore never closed")
        .forget();
    let (t, r) = oneshot::channel();
    sess.tx
        .send(Cmd::Open(t))
        .map_err(|_| "session closed".to_string())?;
    match r.await {
        Ok(Ok(s)) => {
            OPENED.fetch_add(1, Relaxed);
            Ok(s)
        }
        Ok(Err(e)) => Err(format!("open stream: {e}")),
        Err(_) => Err("open stream: session closed".into()),
    }
}

/// Streams the remote opens: echo (or sink) until EOF, then half-close.
async fn serve(mut s: Stream, sess: &Sess) {
    ACCEPTED.fetch_add(1, Relaxed);
    let o = &sess.o;
    // Acknowledge at once (hashicorp/yamux acks on Accept; rust-yamux would only ack with
    // our first data or window update, and an idle opener waits for the ack).
    if s.write(&[]).await.is_err() {
        return;
    }
    let _ = sess.gate.clone().wait_for(|open| *open).await;
    let mut buf = vec![0u8; o.write_size];
    loop {
        if o.read_delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(o.read_delay_ms)).await;
        }
        let n = match s.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(_) => return,
        };
        RECEIVED.fetch_add(n as u64, Relaxed);
        if !o.sink_mode {
            if s.write_all(&buf[..n]).await.is_err() {
                return;
            }
            SENT.fetch_add(n as u64, Relaxed);
        }
    }
    if s.close().await.is_ok() {
        // the echo is done only once its last frames and FIN are on the wire
        let ended = sess.st.ended(s.id().val());
        let _ = tokio::time::timeout(Duration::from_secs(10), ended).await;
    }
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[inline]
fn pattern(id: u64, k: u64) -> u8 {
    (k.wrapping_mul(31)
        .wrapping_add(id.wrapping_mul(7))
        .wrapping_add(k >> 8)) as u8
}

async fn open_all(sess: &Arc<Sess>, gate: &watch::Sender<bool>) -> bool {
    let o = &sess.o;
    let mut rng = o.random_seed;
    let mut tasks = Vec::with_capacity(o.open as usize);
    let mut ok = true;
    for _ in 0..o.open {
        let size = match rng.as_mut() {
            Some(r) => {
                let x = splitmix64(r);
                match o.bytes.checked_add(1) {
                    Some(m) => x % m,
                    None => x,
                }
            }
            None => o.bytes,
        };
        match open_stream(sess).await {
            Ok(s) => tasks.push(tokio::spawn(run_stream(s, size, o.clone()))),
            Err(e) => {
                eprintln!("yamux-rust-peer: {e}");
                ok = false;
                break;
            }
        }
    }
    // rust-yamux sends a stream's SYN with its first frame: open the gate once they are out
    let n = tasks.len() as u64;
    wait_until(sess, Duration::from_secs(10), || {
        sess.st.syn_sent.load(Relaxed) >= n
    })
    .await;
    let _ = gate.send(true);
    for t in tasks {
        match t.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                eprintln!("yamux-rust-peer: {e}");
                ok = false;
            }
            Err(e) => {
                eprintln!("yamux-rust-peer: stream task: {e}");
                ok = false;
            }
        }
    }
    if o.reset_after.is_some() && ok {
        // Dropped streams are reset by the driver task: wait until the RSTs are written.
        let st = &sess.st;
        if !wait_until(sess, Duration::from_secs(10), || {
            st.rst_sent.load(Relaxed) >= n
        })
        .await
        {
            eprintln!(
                "yamux-rust-peer: only {} of {n} resets were sent",
                st.rst_sent.load(Relaxed)
            );
            return false;
        }
    }
    ok
}

/// One opened stream: write `size` bytes of its pattern, half-close, verify the echo
/// (or, with --sink, that nothing comes back; with --reset-after, reset it instead).
async fn run_stream(s: Stream, size: u64, o: Arc<Opts>) -> Result<(), String> {
    let id = s.id().val() as u64;
    let reset = o.reset_after.is_some();
    let limit = o.reset_after.map_or(size, |r| r.min(size));
    let (r, w) = s.split();
    let writer = Box::pin(write_pattern(w, id, limit, !reset, o.write_size));
    let reader = Box::pin(read_verify(r, id, o.sink, o.write_size, o.read_delay_ms));
    if reset {
        // Keep reading (so the echo never stalls our writes), stop when the writes are
        // done; dropping both halves then drops the stream, which rust-yamux resets.
        return match select(writer, reader).await {
            Either::Left((w, _)) => w,
            Either::Right((_, w)) => w.await,
        };
    }
    let (wres, rres) = futures::future::join(writer, reader).await;
    wres?;
    let got = rres?;
    let want = if o.sink { 0 } else { size };
    if got != want {
        return Err(format!("stream {id}: got {got} bytes back, want {want}"));
    }
    Ok(())
}

async fn write_pattern<W: AsyncWrite + Unpin>(
    mut w: W,
    id: u64,
    limit: u64,
    close: bool,
    write_size: usize,
) -> Result<(), String> {
    let err = |e: std::io::Error| format!("stream {id}: write: {e}");
    if limit == 0 {
        // rust-yamux sends the SYN with the first frame; a FIN alone would carry none.
        w.write(&[]).await.map_err(err)?;
    }
    let mut buf = vec![0u8; write_size.min(limit as usize)];
    let mut off = 0u64;
    while off < limit {
        let n = (limit - off).min(write_size as u64) as usize;
        for (j, b) in buf[..n].iter_mut().enumerate() {
            *b = pattern(id, off + j as u64);
        }
        w.write_all(&buf[..n]).await.map_err(err)?;
        SENT.fetch_add(n as u64, Relaxed);
        off += n as u64;
    }
    if close {
        w.close().await.map_err(err)?;
    }
    Ok(())
}

/// Reads to EOF, checking every byte against the pattern; returns the byte count. Keeps
/// draining after a mismatch so that the remote never blocks on a full window.
async fn read_verify<R: AsyncRead + Unpin>(
    mut r: R,
    id: u64,
    sink: bool,
    read_size: usize,
    delay_ms: u64,
) -> Result<u64, String> {
    let mut buf = vec![0u8; read_size];
    let mut off = 0u64;
    let mut bad: Option<String> = None;
    loop {
        if delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        let n = match r.read(&mut buf).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(bad.unwrap_or(format!("stream {id}: read: {e}"))),
        };
        RECEIVED.fetch_add(n as u64, Relaxed);
        if bad.is_none() {
            if sink {
                bad = Some(format!("stream {id}: sink sent back {n} bytes"));
            } else if let Some(j) = (0..n).find(|&j| buf[j] != pattern(id, off + j as u64)) {
                bad = Some(format!(
                    "stream {id}: byte {} differs from the pattern",
                    off + j as u64
                ));
            }
        }
        off += n as u64;
    }
    match bad {
        Some(e) => Err(e),
        None => Ok(off),
    }
}

/// --idle N: open N streams (announced with an empty SYN frame), print the RSS, then
/// half-close them and expect an empty EOF on each.
async fn idle(sess: &Sess, n: u64, streams: &mut Vec<Stream>) -> bool {
    for _ in 0..n {
        match open_stream(sess).await {
            Ok(mut s) => {
                if let Err(e) = s.write(&[]).await {
                    eprintln!("yamux-rust-peer: idle stream: {e}");
                    return false;
                }
                streams.push(s);
            }
            Err(e) => {
                eprintln!("yamux-rust-peer: {e}");
                return false;
            }
        }
    }
    println!("idle {n} {}", rss_bytes());
    let closing = streams.iter_mut().map(|s| async move {
        let id = s.id();
        let mut buf = [0u8; 1024];
        s.close()
            .await
            .map_err(|e| format!("idle stream {id}: close: {e}"))?;
        match s.read(&mut buf).await {
            Ok(0) => Ok(()),
            Ok(k) => Err(format!("idle stream {id}: got {k} bytes")),
            Err(e) => Err(format!("idle stream {id}: {e}")),
        }
    });
    let mut ok = true;
    for r in futures::future::join_all(closing).await {
        if let Err(e) = r {
            eprintln!("yamux-rust-peer: {e}");
            ok = false;
        }
    }
    ok
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
