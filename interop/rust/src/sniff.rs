//! A pass-through wrapper around the socket that parses the yamux frame headers going
//! each way. rust-yamux reports every GoAway as `ConnectionError::Closed` and never says
//! which GoAway it sent, so the peer reads the codes here to get exit status 3 right.
//! It also counts the SYN and RST frames written and sees each stream's FIN or RST go
//! out (to know when they are on the wire), and it gives back an open credit for every
//! outbound stream the remote answers: see `State::credits`.

use futures::io::{AsyncRead, AsyncWrite};
use std::collections::{HashMap, HashSet};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::sync::{oneshot, Semaphore};

const HDR: usize = 12;
const TYPE_DATA: u8 = 0;
const TYPE_GOAWAY: u8 = 3;
const FLAG_SYN: u16 = 1;
const FLAG_FIN: u16 = 4;
const FLAG_RST: u16 = 8;

/// Most streams we keep open that the remote has not answered yet: hashicorp/yamux's
/// accept backlog (and its own limit on un-ACKed streams). rust-yamux has a limit of the
/// same size, but stops counting a stream once it is half-closed, so small streams could
/// overrun a remote's backlog and get reset.
pub const MAX_UNANSWERED: usize = 256;

/// Streams the remote opened on which we wrote FIN or RST, or received RST (nothing more
/// to flush) and that nobody waited for yet, and the tasks waiting for that.
#[derive(Default)]
struct Ended {
    done: HashSet<u32>,
    waiting: HashMap<u32, oneshot::Sender<()>>,
}

pub struct State {
    pub goaway_sent: AtomicI64, // -1: none
    pub goaway_recv: AtomicI64, // -1: none
    pub syn_sent: AtomicU64,
    pub rst_sent: AtomicU64,
    pub malformed: AtomicBool,
    /// One permit per stream we may open now; taken before each open, given back by the
    /// first frame the remote sends on one of our streams (ACK, data, window update, FIN or
    /// RST). Not the ACK alone: hashicorp/yamux never ACKs a stream that was half-closed
    /// before its Accept, it just answers with data and FIN.
    pub credits: Semaphore,
    answered: Mutex<HashSet<u32>>,
    outbound_parity: u32, // 1: we are the client (odd ids), 0: the server
    ended: Mutex<Ended>,
}

impl State {
    pub fn new(client: bool) -> Self {
        State {
            goaway_sent: AtomicI64::new(-1),
            goaway_recv: AtomicI64::new(-1),
            syn_sent: AtomicU64::new(0),
            rst_sent: AtomicU64::new(0),
            malformed: AtomicBool::new(false),
            credits: Semaphore::new(MAX_UNANSWERED),
            answered: Mutex::new(HashSet::new()),
            outbound_parity: client as u32,
            ended: Mutex::new(Ended::default()),
        }
    }

    /// Resolves once our FIN (or an RST either way) of stream `id` has gone through the
    /// socket, so everything we wrote on it before is on the wire too. rust-yamux queues
    /// a stream's frames in a channel that only the connection task drains: a stream can
    /// be closed from its own side while its last frames still wait there.
    pub fn ended(&self, id: u32) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let mut e = self.ended.lock().unwrap();
        if e.done.remove(&id) {
            let _ = tx.send(());
        } else {
            e.waiting.insert(id, tx);
        }
        rx
    }

    /// Only streams the remote opened are tracked (they are the ones `serve` waits on).
    fn end(&self, id: u32) {
        if id % 2 == self.outbound_parity {
            return;
        }
        let mut e = self.ended.lock().unwrap();
        match e.waiting.remove(&id) {
            Some(tx) => {
                let _ = tx.send(());
            }
            None => {
                e.done.insert(id);
            }
        }
    }

    fn on_recv(&self, h: &[u8; HDR]) {
        let id = u32::from_be_bytes(h[4..8].try_into().unwrap());
        if h[0] != 0 || h[1] > TYPE_GOAWAY {
            self.malformed.store(true, Relaxed);
        } else if h[1] == TYPE_GOAWAY {
            if self.goaway_recv.load(Relaxed) < 0 {
                self.goaway_recv.store(length(h), Relaxed);
            }
        } else if h[1] <= 1 && id != 0 {
            if id % 2 == self.outbound_parity && self.answered.lock().unwrap().insert(id) {
                self.credits.add_permits(1);
            }
            if u16::from_be_bytes([h[2], h[3]]) & FLAG_RST != 0 {
                self.end(id);
            }
        }
    }

    fn on_sent(&self, h: &[u8; HDR]) {
        let flags = u16::from_be_bytes([h[2], h[3]]);
        if h[1] == TYPE_GOAWAY {
            if self.goaway_sent.load(Relaxed) < 0 {
                self.goaway_sent.store(length(h), Relaxed);
            }
        } else if h[1] <= 1 {
            if flags & FLAG_SYN != 0 {
                self.syn_sent.fetch_add(1, Relaxed);
            }
            if flags & FLAG_RST != 0 {
                self.rst_sent.fetch_add(1, Relaxed);
            }
            if flags & (FLAG_FIN | FLAG_RST) != 0 {
                self.end(u32::from_be_bytes(h[4..8].try_into().unwrap()));
            }
        }
    }

    /// GoAway with an error code sent or received, or malformed input.
    pub fn protocol_error(&self) -> Option<String> {
        let (s, r) = (
            self.goaway_sent.load(Relaxed),
            self.goaway_recv.load(Relaxed),
        );
        if s > 0 {
            return Some(format!("sent GoAway code {s}"));
        }
        if r > 0 {
            return Some(format!("received GoAway code {r}"));
        }
        if self.malformed.load(Relaxed) {
            return Some("received a malformed frame header".into());
        }
        None
    }
}

#[derive(Default)]
struct Parser {
    hdr: [u8; HDR],
    have: usize,
    skip: u64,
}

impl Parser {
    fn feed(&mut self, mut data: &[u8], mut on_header: impl FnMut(&[u8; HDR])) {
        while !data.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(data.len() as u64) as usize;
                self.skip -= n as u64;
                data = &data[n..];
                continue;
            }
            let n = (HDR - self.have).min(data.len());
            self.hdr[self.have..self.have + n].copy_from_slice(&data[..n]);
            self.have += n;
            data = &data[n..];
            if self.have == HDR {
                self.have = 0;
                on_header(&self.hdr);
                if self.hdr[1] == TYPE_DATA {
                    self.skip = u32::from_be_bytes(self.hdr[8..12].try_into().unwrap()) as u64;
                }
            }
        }
    }
}

pub struct Sniff<T> {
    inner: T,
    rd: Parser,
    wr: Parser,
    st: Arc<State>,
}

impl<T> Sniff<T> {
    pub fn new(inner: T, st: Arc<State>) -> Self {
        Sniff {
            inner,
            rd: Parser::default(),
            wr: Parser::default(),
            st,
        }
    }
}

fn length(h: &[u8; HDR]) -> i64 {
    u32::from_be_bytes(h[8..12].try_into().unwrap()) as i64
}

impl<T: AsyncRead + Unpin> AsyncRead for Sniff<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            let st = &this.st;
            this.rd.feed(&buf[..n], |h| st.on_recv(h));
        }
        r
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Sniff<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            let st = &this.st;
            this.wr.feed(&buf[..n], |h| st.on_sent(h));
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}
