//! `pgparity capture`: a proxy between an application and PostgreSQL that forwards every byte
//! unchanged and writes what the application sent as workloads, one per connection. It refuses
//! SSL and GSS encryption requests itself (so the traffic stays readable), passes cancel
//! requests through, and serves any number of clients at once. Each connection's workload is
//! written when it closes; on Ctrl-C or SIGTERM the open ones are written too.

pub mod record;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::engine::pg::server::Target;
use crate::engine::pg::wire::{ConnectParams, Host, Session};
use crate::engine::target::TargetSpec;
use crate::model::error::{Error, Result};
use record::Capture;

pub(crate) const SSL_REQUEST: i32 = 80877103;
pub(crate) const GSSENC_REQUEST: i32 = 80877104;
const CANCEL_REQUEST: i32 = 80877102;
/// A message longer than this is not PostgreSQL's (protects against a stray client).
pub(crate) const MAX_MESSAGE: usize = 1 << 30;
/// The longest startup packet PostgreSQL reads (`MAX_STARTUP_PACKET_LENGTH`).
pub(crate) const MAX_STARTUP: usize = 10_000;

pub struct Options {
    pub listen: String,
    pub upstream: TargetSpec,
    pub out: PathBuf,
}

/// Captures in progress (connection id → capture) and the number of files written.
#[derive(Default)]
struct Shared {
    open: BTreeMap<u64, Capture>,
    written: Vec<PathBuf>,
}

/// Serve until Ctrl-C or SIGTERM; then write what the open connections sent, stop an upstream
/// the harness started, and return the files written.
pub async fn serve(options: Options) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(&options.out).map_err(|e| Error::io(&options.out, e))?;
    let listener = TcpListener::bind(&options.listen)
        .await
        .map_err(|e| Error::Usage(format!("--listen {}: {e}", options.listen)))?;
    let target = Target::start(&options.upstream).await?;
    let local = listener.local_addr().map_err(|e| Error::Usage(format!("--listen {}: {e}", options.listen)))?;
    let upstream = target.params.clone();
    println!("listening on {local}");
    println!("upstream: {} ({})", describe(&upstream), target.version);
    println!("writing workloads to {}", options.out.display());
    let shared = Arc::new(Mutex::new(Shared::default()));
    let first_id = next_id(&options.out);
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Error::Usage(format!("cannot watch SIGTERM: {e}")))?;
    let mut id = first_id;
    let origin = local.to_string();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                let _ = client.set_nodelay(true);
                let (shared, upstream, out, origin) = (shared.clone(), upstream.clone(), options.out.clone(), origin.clone());
                let this = id;
                id += 1;
                tokio::spawn(async move {
                    let _ = proxy(client, &upstream, this, &shared).await;
                    finish(&shared, this, &upstream, &out, &origin).await;
                });
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = sigterm.recv() => break,
        }
    }
    let open: Vec<u64> = shared.lock().expect("not poisoned").open.keys().copied().collect();
    for id in open {
        finish(&shared, id, &upstream, &options.out, &origin).await;
    }
    target.stop().await;
    let written = std::mem::take(&mut shared.lock().expect("not poisoned").written);
    Ok(written)
}

/// `postgres://user@host:port/db` (no password).
fn describe(p: &ConnectParams) -> String {
    match &p.host {
        Host::Tcp(h) => format!("postgres://{}@{h}:{}/{}", p.user, p.port, p.dbname),
        Host::Unix(dir) => format!("postgres://{}@/{}?host={}&port={}", p.user, p.dbname, dir.display(), p.port),
    }
}

/// File names go on from the highest `conn-N` already in the folder: a capture never
/// overwrites an earlier one.
fn next_id(out: &Path) -> u64 {
    let highest = std::fs::read_dir(out)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("conn-")?.strip_suffix(".yaml")?.parse::<u64>().ok()
        })
        .max();
    highest.map_or(1, |h| h + 1)
}

async fn read_exact(stream: &mut (impl AsyncReadExt + Unpin), n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0; n];
    stream.read_exact(&mut buf).await?;
    Ok(buf)
}

pub(crate) fn length(bytes: &[u8], max: usize) -> std::io::Result<usize> {
    let len = i32::from_be_bytes(bytes.try_into().map_err(|_| std::io::ErrorKind::InvalidData)?);
    if len < 4 || len as usize > max {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("message length {len}")));
    }
    Ok(len as usize)
}

/// One client: the startup exchange, then both directions forwarded as they come, the client's
/// messages folded into its capture on the way.
async fn proxy(
    mut client: TcpStream,
    upstream: &ConnectParams,
    id: u64,
    shared: &Mutex<Shared>,
) -> std::io::Result<()> {
    // Startup: answer encryption requests "N" ourselves; pass a cancel request through.
    let startup = loop {
        let head = read_exact(&mut client, 4).await?;
        let len = length(&head, MAX_STARTUP)?;
        let payload = read_exact(&mut client, len - 4).await?;
        let code =
            i32::from_be_bytes(payload.get(..4).ok_or(std::io::ErrorKind::InvalidData)?.try_into().unwrap_or_default());
        match code {
            SSL_REQUEST | GSSENC_REQUEST => client.write_all(b"N").await?,
            CANCEL_REQUEST => {
                let mut server = crate::engine::pg::wire::open(upstream).await?;
                server.write_all(&head).await?;
                server.write_all(&payload).await?;
                server.flush().await?;
                // The server closes once it has read it.
                let mut sink = Vec::new();
                let _ = tokio::time::timeout(std::time::Duration::from_secs(5), server.read_to_end(&mut sink)).await;
                return Ok(());
            }
            _ => break [head, payload].concat(),
        }
    };
    let mut capture = Capture::default();
    capture.startup(&startup[4..]);
    shared.lock().expect("not poisoned").open.insert(id, capture);
    let server = crate::engine::pg::wire::open(upstream).await?;
    let (mut server_read, mut server_write) = tokio::io::split(server);
    let (mut client_read, mut client_write) = client.into_split();
    server_write.write_all(&startup).await?;
    server_write.flush().await?;
    let downstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
        let _ = client_write.shutdown().await;
    });
    let forward = async {
        loop {
            let mut head = [0u8; 5];
            if client_read.read_exact(&mut head).await.is_err() {
                break;
            }
            let len = length(&head[1..], MAX_MESSAGE)?;
            let body = read_exact(&mut client_read, len - 4).await?;
            server_write.write_all(&head).await?;
            server_write.write_all(&body).await?;
            server_write.flush().await?;
            if let Some(c) = shared.lock().expect("not poisoned").open.get_mut(&id) {
                c.feed(head[0], &body);
            }
            if head[0] == b'X' {
                break;
            }
        }
        Ok::<(), std::io::Error>(())
    };
    let result = forward.await;
    // Both sides close on every error too: a client that sent garbage must not keep its
    // upstream connection (and a server slot) open.
    let _ = server_write.shutdown().await;
    if result.is_err() {
        downstream.abort();
    }
    let _ = downstream.await;
    result
}

/// Write a connection's capture (if it sent any statement) and forget it.
async fn finish(shared: &Mutex<Shared>, id: u64, upstream: &ConnectParams, out: &Path, origin: &str) {
    let Some(capture) = shared.lock().expect("not poisoned").open.remove(&id) else { return };
    if capture.steps.is_empty() {
        return;
    }
    let names = type_names(&capture, upstream).await;
    let text = record::render(&capture, id, origin, &|oid| names.get(&oid).cloned());
    match crate::store::write_capture(out, id, &text) {
        Ok(path) => shared.lock().expect("not poisoned").written.push(path),
        Err(e) => eprintln!("error: {e}"),
    }
}

/// The upstream's names for the parameter type OIDs the capture's Parse messages named.
async fn type_names(capture: &Capture, upstream: &ConnectParams) -> HashMap<u32, String> {
    let mut oids: Vec<String> =
        capture.steps.iter().flat_map(|s| &s.param_oids).filter(|o| **o != 0).map(|o| o.to_string()).collect();
    oids.sort();
    oids.dedup();
    if oids.is_empty() {
        return HashMap::new();
    }
    let params = upstream.with_dbname(if capture.database.is_empty() { &upstream.dbname } else { &capture.database });
    let Ok(mut s) = Session::connect(&params, std::time::Duration::from_secs(5)).await else { return HashMap::new() };
    let names = crate::engine::pg::type_names(&mut s, &oids).await;
    s.close().await;
    names
}
