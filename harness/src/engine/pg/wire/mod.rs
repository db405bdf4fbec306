//! One recording session per connection: what a driver sees, message by message, built on
//! `postgres-protocol`'s codec (tokio-postgres hides command tags and the transaction status).
//! The simple query protocol lives in `simple`; the extended protocol will sit beside it.

mod copy;
mod extended;
mod simple;
pub mod tls;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256, SCRAM_SHA_256};
use postgres_protocol::message::backend::{ErrorFields, Message};
use postgres_protocol::message::frontend;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::model::{ServerMessage, TxStatus};

pub use extended::Extended;
pub use simple::Response;

/// Where and as whom to connect. The password is never printed (`Debug` hides it).
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectParams {
    pub host: Host,
    pub port: u16,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    /// TLS as the URL's `sslmode` and friends ask (none for servers the harness starts).
    pub tls: Box<tls::Tls>,
}

impl std::fmt::Debug for ConnectParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectParams")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("dbname", &self.dbname)
            .field("tls", &self.tls)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Tcp(String),
    /// A directory holding the server's Unix socket.
    Unix(PathBuf),
}

impl ConnectParams {
    pub fn with_dbname(&self, dbname: &str) -> Self {
        ConnectParams { dbname: dbname.to_string(), ..self.clone() }
    }
}

/// Why a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("server refused the connection: {} {}", .0.code, .0.message)]
    Server(Box<ServerMessage>),
    #[error("{0}")]
    Protocol(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
}

pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> Io for T {}

/// A plain connection to the server (cancel requests, and sessions without TLS).
pub(crate) async fn open(params: &ConnectParams) -> std::io::Result<Box<dyn Io>> {
    Ok(match &params.host {
        Host::Tcp(host) => {
            let stream = tokio::net::TcpStream::connect((host.as_str(), params.port)).await?;
            stream.set_nodelay(true)?;
            Box::new(stream)
        }
        Host::Unix(dir) => {
            let path = dir.join(format!(".s.PGSQL.{}", params.port));
            Box::new(tokio::net::UnixStream::connect(path).await?)
        }
    })
}

/// A connection for a session: with TLS when `with_tls` (and the server has it, or the mode
/// requires it), over TCP only, as libpq does.
async fn open_session(params: &ConnectParams, with_tls: bool) -> Result<Box<dyn Io>, ConnectError> {
    let Host::Tcp(host) = &params.host else { return Ok(open(params).await?) };
    if !with_tls {
        return Ok(open(params).await?);
    }
    let stream = tokio::net::TcpStream::connect((host.as_str(), params.port)).await?;
    stream.set_nodelay(true)?;
    match tls::negotiate(stream, host, &params.tls).await.map_err(ConnectError::Protocol)? {
        Ok(secure) => Ok(Box::new(secure)),
        Err(plain) => Ok(Box::new(plain)),
    }
}

/// Cancels a session's running statement from elsewhere (BackendKeyData and where to send it).
#[derive(Debug, Clone)]
pub struct Canceller {
    params: ConnectParams,
    key: Option<(i32, i32)>,
}

impl Canceller {
    pub async fn cancel(&self) -> std::io::Result<()> {
        let Some((pid, secret)) = self.key else {
            return Ok(());
        };
        let mut io = open(&self.params).await?;
        let mut buf = BytesMut::new();
        frontend::cancel_request(pid, secret, &mut buf);
        io.write_all(&buf).await?;
        io.flush().await?;
        // The server closes the connection once it has read the request.
        let mut sink = [0u8; 1];
        let _ = tokio::time::timeout(Duration::from_secs(2), io.read(&mut sink)).await;
        Ok(())
    }
}

/// A live connection. After a fault (`broken`), it must be dropped.
pub struct Session {
    io: Box<dyn Io>,
    rbuf: BytesMut,
    wbuf: BytesMut,
    params: ConnectParams,
    /// BackendKeyData, for CancelRequest.
    key: Option<(i32, i32)>,
    /// ParameterStatus values the server reported.
    pub server_params: BTreeMap<String, String>,
    pub status: TxStatus,
    pub broken: bool,
    /// Data for a `COPY … FROM STDIN` the running statement may start.
    copy_data: Option<Vec<u8>>,
    /// The extended query being read, if one is.
    pending: Option<extended::Pending>,
    /// Named statements parsed on this connection (reused without Parse).
    pub prepared: std::collections::HashSet<String>,
    /// The running statement's rows, as they arrive (bounded memory for any result size).
    rows: crate::engine::rows::RowSink,
}

impl Session {
    /// Connect, authenticate (cleartext, MD5 or SCRAM-SHA-256) and wait for ReadyForQuery.
    pub async fn connect(params: &ConnectParams, timeout: Duration) -> Result<Session, ConnectError> {
        match tokio::time::timeout(timeout, Self::connect_inner(params)).await {
            Ok(r) => r,
            Err(_) => Err(ConnectError::Timeout(timeout)),
        }
    }

    /// Connect, retrying while the server resets or refuses connections for up to `patience`:
    /// a server that takes one connection at a time may still be closing the previous one, and
    /// a server just started may not listen yet. Other errors return at once.
    pub async fn connect_patiently(params: &ConnectParams, patience: Duration) -> Result<Session, ConnectError> {
        let start = std::time::Instant::now();
        loop {
            match Self::connect(params, Duration::from_secs(10)).await {
                Err(ConnectError::Io(e)) if start.elapsed() < patience && transient(&e) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    /// One connection as the mode says: allow tries without TLS first, prefer with it first,
    /// each falling back to the other; disable never, require and verify-* always.
    async fn connect_inner(params: &ConnectParams) -> Result<Session, ConnectError> {
        use tls::SslMode;
        match params.tls.mode {
            SslMode::Disable => Self::connect_over(params, false).await,
            SslMode::Allow => match Self::connect_over(params, false).await {
                Err(ConnectError::Server(e)) if e.code == "28000" => Self::connect_over(params, true).await,
                other => other,
            },
            SslMode::Prefer => match Self::connect_over(params, true).await {
                Err(ConnectError::Protocol(e)) if e.starts_with("TLS: ") => Self::connect_over(params, false).await,
                other => other,
            },
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => Self::connect_over(params, true).await,
        }
    }

    async fn connect_over(params: &ConnectParams, with_tls: bool) -> Result<Session, ConnectError> {
        let io = open_session(params, with_tls).await?;
        let mut s = Session {
            io,
            rbuf: BytesMut::with_capacity(8192),
            wbuf: BytesMut::with_capacity(1024),
            params: params.clone(),
            key: None,
            server_params: BTreeMap::new(),
            status: TxStatus::Unknown,
            broken: false,
            copy_data: None,
            pending: None,
            prepared: Default::default(),
            rows: Default::default(),
        };
        let startup = [
            ("user", params.user.as_str()),
            ("database", params.dbname.as_str()),
            ("client_encoding", "UTF8"),
            ("application_name", "pgparity"),
        ];
        frontend::startup_message(startup.iter().copied(), &mut s.wbuf)?;
        s.flush().await?;
        let mut scram: Option<ScramSha256> = None;
        loop {
            match s.read_message().await? {
                Message::AuthenticationOk => {}
                Message::AuthenticationCleartextPassword => {
                    let pw = s.password()?;
                    frontend::password_message(pw.as_bytes(), &mut s.wbuf)?;
                    s.flush().await?;
                }
                Message::AuthenticationMd5Password(body) => {
                    let pw = s.password()?;
                    let hash =
                        postgres_protocol::authentication::md5_hash(params.user.as_bytes(), pw.as_bytes(), body.salt());
                    frontend::password_message(hash.as_bytes(), &mut s.wbuf)?;
                    s.flush().await?;
                }
                Message::AuthenticationSasl(body) => {
                    let mechanisms: Vec<String> = body.mechanisms().map(|m| Ok(m.to_string())).collect()?;
                    if !mechanisms.iter().any(|m| m == SCRAM_SHA_256) {
                        return Err(ConnectError::Protocol(format!(
                            "server offers SASL mechanisms {mechanisms:?}; only SCRAM-SHA-256 is supported"
                        )));
                    }
                    let pw = s.password()?;
                    let client = ScramSha256::new(pw.as_bytes(), ChannelBinding::unsupported());
                    frontend::sasl_initial_response(SCRAM_SHA_256, client.message(), &mut s.wbuf)?;
                    s.flush().await?;
                    scram = Some(client);
                }
                Message::AuthenticationSaslContinue(body) => {
                    let client = scram.as_mut().ok_or_else(|| proto("SASL continue without SASL start"))?;
                    client.update(body.data())?;
                    frontend::sasl_response(client.message(), &mut s.wbuf)?;
                    s.flush().await?;
                }
                Message::AuthenticationSaslFinal(body) => {
                    let client = scram.as_mut().ok_or_else(|| proto("SASL final without SASL start"))?;
                    client.finish(body.data())?;
                }
                Message::BackendKeyData(body) => s.key = Some((body.process_id(), body.secret_key())),
                Message::ParameterStatus(body) => {
                    s.server_params.insert(body.name()?.to_string(), body.value()?.to_string());
                }
                Message::NoticeResponse(_) => {}
                Message::ErrorResponse(body) => {
                    return Err(ConnectError::Server(Box::new(server_message(body.fields())?)))
                }
                Message::ReadyForQuery(body) => {
                    s.status = TxStatus::from_byte(body.status());
                    return Ok(s);
                }
                _ => return Err(proto("unexpected message during startup")),
            }
        }
    }

    fn password(&self) -> Result<String, ConnectError> {
        self.params.password.clone().ok_or_else(|| {
            ConnectError::Protocol("the server asks for a password and none was given (URL or PGPASSWORD)".into())
        })
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        self.io.write_all(&self.wbuf).await?;
        self.io.flush().await?;
        self.wbuf.clear();
        Ok(())
    }

    /// Read one backend message. Cancel-safe: a partial message stays in the buffer.
    async fn read_message(&mut self) -> std::io::Result<Message> {
        loop {
            if let Some(msg) = Message::parse(&mut self.rbuf)? {
                return Ok(msg);
            }
            // Large reads: a big result (a COPY of a whole table) comes in fewer system calls.
            self.rbuf.reserve(64 * 1024);
            if self.io.read_buf(&mut self.rbuf).await? == 0 {
                return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "server closed the connection"));
            }
        }
    }

    /// Send a protocol CancelRequest on a new connection, as libpq's PQcancel does.
    pub async fn cancel(&self) -> std::io::Result<()> {
        self.canceller().cancel().await
    }

    /// What cancelling this session's running statement takes, usable while the session itself
    /// is busy elsewhere.
    pub fn canceller(&self) -> Canceller {
        Canceller { params: self.params.clone(), key: self.key }
    }

    pub fn server_version(&self) -> Option<&str> {
        self.server_params.get("server_version").map(String::as_str)
    }

    /// Send Terminate and close; errors do not matter any more.
    pub async fn close(mut self) {
        if !self.broken {
            frontend::terminate(&mut self.wbuf);
            let _ = tokio::time::timeout(Duration::from_secs(2), self.flush()).await;
        }
    }
}

fn transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), ConnectionReset | ConnectionRefused | ConnectionAborted | UnexpectedEof | BrokenPipe)
}

fn proto(message: &str) -> ConnectError {
    ConnectError::Protocol(message.to_string())
}

/// Keep every ErrorResponse/NoticeResponse field except the server's source file, line and
/// routine (`F`, `L`, `R`), which change between builds.
pub(crate) fn server_message(mut fields: ErrorFields<'_>) -> std::io::Result<ServerMessage> {
    let mut m = ServerMessage::default();
    let mut localized_severity = String::new();
    while let Some(field) = fields.next()? {
        let value = String::from_utf8_lossy(field.value_bytes()).into_owned();
        match field.type_() {
            b'S' => localized_severity = value,
            b'V' => m.severity = value,
            b'C' => m.code = value,
            b'M' => m.message = value,
            b'D' => m.detail = Some(value),
            b'H' => m.hint = Some(value),
            b'P' => m.position = Some(value),
            b'p' => m.position = Some(format!("internal {value}")),
            b'W' => m.context = Some(value),
            b's' => m.schema = Some(value),
            b't' => m.table = Some(value),
            b'c' => m.column = Some(value),
            b'd' => m.datatype = Some(value),
            b'n' => m.constraint = Some(value),
            _ => {}
        }
    }
    if m.severity.is_empty() {
        m.severity = localized_severity;
    }
    Ok(m)
}

/// Quote an identifier for SQL text.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quote a string literal for SQL text (standard_conforming_strings on).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}
