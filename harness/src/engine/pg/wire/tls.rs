//! TLS as libpq does it (rustls, with the ring provider and the platform's roots): `sslmode`
//! disable, allow, prefer (the default), require, verify-ca, verify-full; `sslrootcert` (a
//! file, or `system` for the platform's roots; `~/.postgresql/root.crt` by default), `sslcert`
//! and `sslkey` for a client certificate. The negotiation is PostgreSQL's: an SSLRequest, then
//! `S` (TLS follows) or `N` (no TLS here).

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    /// Without TLS first; with it when the server refuses that.
    Allow,
    /// With TLS when the server offers it, without otherwise (libpq's default).
    #[default]
    Prefer,
    /// TLS, the certificate unchecked (checked as verify-ca when a root certificate is given).
    Require,
    /// TLS, the certificate signed by a trusted root.
    VerifyCa,
    /// TLS, the certificate signed by a trusted root and naming the host.
    VerifyFull,
}

impl SslMode {
    pub fn parse(text: &str) -> Option<SslMode> {
        Some(match text {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    /// No connection without TLS.
    pub fn required(self) -> bool {
        matches!(self, SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull)
    }
}

/// A connection's TLS settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tls {
    pub mode: SslMode,
    /// A PEM file of trusted roots, or `system`.
    pub rootcert: Option<String>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl Tls {
    /// No TLS at all (servers the harness starts itself, Unix sockets).
    pub fn disabled() -> Tls {
        Tls { mode: SslMode::Disable, ..Tls::default() }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The trusted roots: the file named, the platform's (`system`), or libpq's default file.
fn roots(tls: &Tls) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    let default = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".postgresql/root.crt"));
    match tls.rootcert.as_deref() {
        Some("system") => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = store.add(cert);
            }
            if store.is_empty() {
                return Err("sslrootcert=system: the platform has no trusted roots".into());
            }
        }
        named => {
            let path = match (named, default) {
                (Some(p), _) => PathBuf::from(p),
                (None, Some(d)) if d.is_file() => d,
                _ => {
                    return Err(format!(
                        "sslmode={}: no root certificate to check the server's against (sslrootcert=FILE, \
                         sslrootcert=system, or ~/.postgresql/root.crt)",
                        name(tls.mode)
                    ))
                }
            };
            let certs = CertificateDer::pem_file_iter(&path)
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            for cert in certs {
                store.add(cert).map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            }
        }
    }
    Ok(store)
}

fn name(mode: SslMode) -> &'static str {
    match mode {
        SslMode::Disable => "disable",
        SslMode::Allow => "allow",
        SslMode::Prefer => "prefer",
        SslMode::Require => "require",
        SslMode::VerifyCa => "verify-ca",
        SslMode::VerifyFull => "verify-full",
    }
}

/// The client configuration for `tls`: how the server's certificate is checked, and the
/// client's own certificate.
fn config(tls: &Tls) -> Result<rustls::ClientConfig, String> {
    let provider = provider();
    // libpq: require with a root certificate at hand checks the chain, as verify-ca does.
    let check = match tls.mode {
        SslMode::VerifyFull => Some(true),
        SslMode::VerifyCa => Some(false),
        SslMode::Require if tls.rootcert.is_some() => Some(false),
        _ => None,
    };
    let chain = match check {
        None => None,
        Some(_) => Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots(tls)?), provider.clone())
                .build()
                .map_err(|e| e.to_string())?,
        ),
    };
    let verifier = Arc::new(Check { provider: provider.clone(), chain, names: check == Some(true) });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => {
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("sslcert {}: {e}", cert.display()))?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("sslkey {}: {e}", key.display()))?;
            builder.with_client_auth_cert(certs, key).map_err(|e| format!("sslcert: {e}"))
        }
        (None, None) => Ok(builder.with_no_client_auth()),
        _ => Err("sslcert and sslkey go together".into()),
    }
}

/// After TCP connect: the SSLRequest, then TLS when the server agrees. Ok(None): the server
/// has no TLS and the mode allows going on without it.
pub async fn negotiate(
    mut tcp: tokio::net::TcpStream,
    host: &str,
    tls: &Tls,
) -> Result<Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, tokio::net::TcpStream>, String> {
    let config = config(tls)?;
    // SSLRequest: length 8, code 80877103.
    tcp.write_all(&[0, 0, 0, 8, 4, 210, 22, 47]).await.map_err(|e| e.to_string())?;
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer).await.map_err(|e| e.to_string())?;
    match answer[0] {
        b'S' => {
            let server = ServerName::try_from(host.to_string()).map_err(|e| format!("host {host}: {e}"))?;
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            connector.connect(server, tcp).await.map(Ok).map_err(|e| format!("TLS: {e}"))
        }
        b'N' if tls.mode.required() => {
            Err(format!("sslmode={}: the server does not accept TLS connections", name(tls.mode)))
        }
        b'N' => Ok(Err(tcp)),
        other => Err(format!("the server answered the SSLRequest with {:?}", other as char)),
    }
}

/// How the server's certificate is checked: not at all (sslmode allow, prefer, require), its
/// chain to a trusted root (verify-ca), or also the host name it names (verify-full). The
/// handshake's signatures are verified whatever the mode.
#[derive(Debug)]
struct Check {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
    names: bool,
}

impl ServerCertVerifier for Check {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.names => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
