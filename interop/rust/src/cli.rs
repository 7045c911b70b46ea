//! The PEER_CLI.md command line.

pub const USAGE: &str = "\
usage: yamux-rust-peer (--listen HOST:PORT | --connect HOST:PORT) [options]
  --open N --bytes B     open N streams, write B bytes each, verify the echo
  --window BYTES         max stream receive window (>= 262144, default 262144)
  --keepalive SECONDS    accepted; rust-yamux has no keepalive setting (see README)
  --once                 with --listen: serve one connection, then exit
  --random-sizes SEED    stream i carries splitmix64(SEED)[i] % (B+1) bytes
  --mode echo|sink       what to do with streams the remote opens (default echo)
  --sink                 the remote is a sink: expect nothing back
  --write-size W         bytes per write call (default 65536)
  --read-delay MS        sleep MS before each read of at most W bytes
  --ping N               unsupported by rust-yamux (exit 2)
  --reset-after BYTES    reset each opened stream after writing BYTES
  --goaway               send GoAway(0) once the opened streams are done
  --idle N               open N streams, write nothing, print `idle N RSS_BYTES`
  --stats                print a final `stats {json}` line
exit: 0 clean, 1 verification failure, 2 usage/unsupported, 3 protocol error";

pub const DEFAULT_WINDOW: u64 = 256 * 1024;

#[derive(Debug, Clone)]
pub struct Opts {
    pub listen: Option<String>,
    pub connect: Option<String>,
    pub open: u64,
    pub bytes: u64,
    pub window: u64,
    pub keepalive: Option<u64>,
    pub once: bool,
    pub random_seed: Option<u64>,
    pub sink_mode: bool,
    pub sink: bool,
    pub write_size: usize,
    pub read_delay_ms: u64,
    pub ping: u64,
    pub reset_after: Option<u64>,
    pub goaway: bool,
    pub idle: Option<u64>,
    pub stats: bool,
}

pub enum Parsed {
    Run(Opts),
    Help,
}

fn num(flag: &str, v: &str) -> Result<u64, String> {
    v.parse::<u64>()
        .map_err(|_| format!("{flag}: expected a non-negative integer, got {v:?}"))
}

pub fn parse(args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut o = Opts {
        listen: None,
        connect: None,
        open: 0,
        bytes: 0,
        window: DEFAULT_WINDOW,
        keepalive: None,
        once: false,
        random_seed: None,
        sink_mode: false,
        sink: false,
        write_size: 65536,
        read_delay_ms: 0,
        ping: 0,
        reset_after: None,
        goaway: false,
        idle: None,
        stats: false,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        const SWITCHES: &[&str] = &["--once", "--sink", "--goaway", "--stats", "-h", "--help"];
        const VALUED: &[&str] = &[
            "--listen",
            "--connect",
            "--open",
            "--bytes",
            "--window",
            "--keepalive",
            "--random-sizes",
            "--mode",
            "--write-size",
            "--read-delay",
            "--ping",
            "--reset-after",
            "--idle",
        ];
        if !SWITCHES.contains(&flag.as_str()) && !VALUED.contains(&flag.as_str()) {
            return Err(format!("unknown argument {arg:?}"));
        }
        let takes_value = VALUED.contains(&flag.as_str());
        let val = if takes_value {
            match inline {
                Some(v) => v,
                None => args
                    .next()
                    .ok_or_else(|| format!("{flag}: missing value"))?,
            }
        } else {
            if inline.is_some() {
                return Err(format!("{flag} takes no value"));
            }
            String::new()
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--listen" => o.listen = Some(val),
            "--connect" => o.connect = Some(val),
            "--open" => o.open = num(&flag, &val)?,
            "--bytes" => o.bytes = num(&flag, &val)?,
            "--window" => o.window = num(&flag, &val)?,
            "--keepalive" => o.keepalive = Some(num(&flag, &val)?),
            "--once" => o.once = true,
            "--random-sizes" => o.random_seed = Some(num(&flag, &val)?),
            "--mode" => {
                o.sink_mode = match val.as_str() {
                    "echo" => false,
                    "sink" => true,
                    _ => return Err(format!("--mode: expected echo or sink, got {val:?}")),
                }
            }
            "--sink" => o.sink = true,
            "--write-size" => o.write_size = num(&flag, &val)? as usize,
            "--read-delay" => o.read_delay_ms = num(&flag, &val)?,
            "--ping" => o.ping = num(&flag, &val)?,
            "--reset-after" => o.reset_after = Some(num(&flag, &val)?),
            "--goaway" => o.goaway = true,
            "--idle" => o.idle = Some(num(&flag, &val)?),
            "--stats" => o.stats = true,
            _ => unreachable!(),
        }
    }
    match (&o.listen, &o.connect) {
        (Some(_), Some(_)) => return Err("--listen and --connect are exclusive".into()),
        (None, None) => return Err("one of --listen or --connect is required".into()),
        _ => {}
    }
    if o.write_size == 0 {
        return Err("--write-size must be > 0".into());
    }
    if o.window < DEFAULT_WINDOW || o.window > u32::MAX as u64 {
        return Err(format!(
            "--window must be in [{DEFAULT_WINDOW}, {}] (yamux initial window is 256 KiB)",
            u32::MAX
        ));
    }
    if o.once && o.listen.is_none() {
        return Err("--once needs --listen".into());
    }
    if o.open == 0 && (o.random_seed.is_some() || o.sink || o.reset_after.is_some()) {
        return Err("--random-sizes, --sink and --reset-after need --open".into());
    }
    if o.sink && o.reset_after.is_some() {
        return Err("--sink and --reset-after exclude each other".into());
    }
    Ok(Parsed::Run(o))
}

impl Opts {
    /// Flags this crate cannot honour; the caller prints the message and exits 2.
    pub fn unsupported(&self) -> Option<String> {
        if self.ping > 0 {
            return Some(
                "--ping: rust-yamux has no user ping API (it only answers pings and sends its \
                 own RTT-measurement pings internally)"
                    .into(),
            );
        }
        None
    }
}
