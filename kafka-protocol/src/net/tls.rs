//! TLS for broker connections (`security.protocol=SSL` / `SASL_SSL`) through rustls with the
//! `ring` crypto provider (cargo feature `tls`, on by default).
//!
//! [`TlsConfig`] holds the `ssl.*` settings: trusted CAs (file or PEM string, plus optional
//! built-in Mozilla roots), a client certificate and key for mutual TLS, and host-name
//! verification. The rustls client configuration is built from them once and cached (shared
//! by clones of the `TlsConfig`, rebuilt after a setter changes it); [`connect_tls`] wraps a
//! TCP stream with it, using the broker's host as SNI and as the name the certificate must
//! carry (IP addresses are matched against the certificate's IP SANs and sent without SNI).
//!
//! Built-in roots come from `webpki-roots` (Mozilla's root program compiled into the binary)
//! rather than the operating system's store: they work the same in minimal containers without
//! a CA bundle and need no blocking file-system probing. Private CAs, the usual case for
//! Kafka, go in `ssl.ca.location` / `ssl.ca.pem`.
//!
//! Two opt-outs exist, both off by default: `ssl.endpoint.identification.algorithm=none`
//! keeps verifying the certificate chain but not the host name (Kafka's meaning), and
//! `enable.ssl.certificate.verification=false` ([`TlsConfig::danger_accept_invalid_certs`])
//! accepts any certificate at all, which makes TLS worthless against an active attacker.

use std::fmt;
use std::path::PathBuf;
#[cfg(feature = "tls")]
use std::sync::{Arc, OnceLock};

#[cfg(feature = "tls")]
use crate::net::security::SecurityError;
use crate::net::security::{parse_bool, ConfigError, Secret};
#[cfg(feature = "tls")]
use crate::net::transport::Transport;

/// The TLS versions a client may negotiate (`ssl.enabled.protocols`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlsVersions {
    /// TLS 1.2 allowed.
    pub tls12: bool,
    /// TLS 1.3 allowed.
    pub tls13: bool,
}

impl Default for TlsVersions {
    /// Both TLS 1.2 and TLS 1.3, as Kafka's default `ssl.enabled.protocols=TLSv1.2,TLSv1.3`.
    fn default() -> Self {
        Self {
            tls12: true,
            tls13: true,
        }
    }
}

/// TLS settings (`ssl.*`).
///
/// | Kafka property | setter | default |
/// |---|---|---|
/// | `ssl.ca.location` (file; `probe` = built-in roots) | [`with_ca_location`](Self::with_ca_location) | none |
/// | `ssl.ca.pem` (also Java's `ssl.truststore.certificates`) | [`with_ca_pem`](Self::with_ca_pem) | none |
/// | `ssl.ca.builtin.roots` (this client's own key) | [`with_builtin_roots`](Self::with_builtin_roots) | on when no CA is configured, off otherwise |
/// | `ssl.certificate.location` | [`with_certificate_location`](Self::with_certificate_location) | none |
/// | `ssl.certificate.pem` (also `ssl.keystore.certificate.chain`) | [`with_certificate_pem`](Self::with_certificate_pem) | none |
/// | `ssl.key.location` | [`with_key_location`](Self::with_key_location) | none |
/// | `ssl.key.pem` (also `ssl.keystore.key`) | [`with_key_pem`](Self::with_key_pem) | none |
/// | `ssl.key.password` | — | encrypted keys are not supported: any non-empty value is an error |
/// | `ssl.endpoint.identification.algorithm` | [`with_hostname_verification`](Self::with_hostname_verification) | `https` (verify); `none` or empty disables |
/// | `enable.ssl.certificate.verification` | [`danger_accept_invalid_certs`](Self::danger_accept_invalid_certs) | `true` (verify) |
/// | `ssl.enabled.protocols` | [`with_versions`](Self::with_versions) | `TLSv1.2,TLSv1.3` (older versions are not supported) |
///
/// Keys may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM.
#[derive(Clone, Default)]
pub struct TlsConfig {
    ca_location: Option<PathBuf>,
    ca_pem: Option<String>,
    builtin_roots: Option<bool>,
    certificate_location: Option<PathBuf>,
    certificate_pem: Option<String>,
    key_location: Option<PathBuf>,
    key_pem: Option<Secret>,
    skip_hostname_verification: bool,
    danger_accept_invalid_certs: bool,
    versions: TlsVersions,
    #[cfg(feature = "tls")]
    cache: Arc<OnceLock<Arc<rustls::ClientConfig>>>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("ca_location", &self.ca_location)
            .field(
                "ca_pem",
                &self.ca_pem.as_ref().map(|p| format!("<{} bytes>", p.len())),
            )
            .field("builtin_roots", &self.builtin_roots)
            .field("certificate_location", &self.certificate_location)
            .field(
                "certificate_pem",
                &self
                    .certificate_pem
                    .as_ref()
                    .map(|p| format!("<{} bytes>", p.len())),
            )
            .field("key_location", &self.key_location)
            .field("key_pem", &self.key_pem)
            .field("hostname_verification", &!self.skip_hostname_verification)
            .field(
                "danger_accept_invalid_certs",
                &self.danger_accept_invalid_certs,
            )
            .field("versions", &self.versions)
            .finish()
    }
}

impl TlsConfig {
    /// Trusts the CA certificates in this PEM file (`ssl.ca.location`).
    pub fn with_ca_location(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca_location = Some(path.into());
        self.changed();
        self
    }

    /// Trusts the CA certificates in this PEM string (`ssl.ca.pem`).
    pub fn with_ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.ca_pem = Some(pem.into());
        self.changed();
        self
    }

    /// Also trusts (or not) the built-in Mozilla roots (`ssl.ca.builtin.roots`). Default: they
    /// are trusted exactly when no CA is configured.
    pub fn with_builtin_roots(mut self, enabled: bool) -> Self {
        self.builtin_roots = Some(enabled);
        self.changed();
        self
    }

    /// Presents the certificate chain in this PEM file (`ssl.certificate.location`) for mutual
    /// TLS. Needs a key too.
    pub fn with_certificate_location(mut self, path: impl Into<PathBuf>) -> Self {
        self.certificate_location = Some(path.into());
        self.changed();
        self
    }

    /// Presents the certificate chain in this PEM string (`ssl.certificate.pem`).
    pub fn with_certificate_pem(mut self, pem: impl Into<String>) -> Self {
        self.certificate_pem = Some(pem.into());
        self.changed();
        self
    }

    /// Uses the private key in this unencrypted PEM file (`ssl.key.location`).
    pub fn with_key_location(mut self, path: impl Into<PathBuf>) -> Self {
        self.key_location = Some(path.into());
        self.changed();
        self
    }

    /// Uses the private key in this unencrypted PEM string (`ssl.key.pem`).
    pub fn with_key_pem(mut self, pem: impl Into<Secret>) -> Self {
        self.key_pem = Some(pem.into());
        self.changed();
        self
    }

    /// Whether the broker's certificate must name the host connected to
    /// (`ssl.endpoint.identification.algorithm`: `https` = true, the default; `none` = false).
    /// The chain is verified either way.
    pub fn with_hostname_verification(mut self, enabled: bool) -> Self {
        self.skip_hostname_verification = !enabled;
        self.changed();
        self
    }

    /// DANGER: accepts any server certificate, trusted or not, for any name
    /// (`enable.ssl.certificate.verification=false`). The connection is encrypted but not
    /// authenticated: anyone on the path can impersonate the broker. For tests only.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.danger_accept_invalid_certs = accept;
        self.changed();
        self
    }

    /// Limits the TLS versions (`ssl.enabled.protocols`). Default: TLS 1.2 and 1.3.
    pub fn with_versions(mut self, versions: TlsVersions) -> Self {
        self.versions = versions;
        self.changed();
        self
    }

    /// Whether host names are verified.
    pub fn hostname_verification(&self) -> bool {
        !self.skip_hostname_verification
    }

    /// Whether certificate verification is disabled altogether.
    pub fn accepts_invalid_certs(&self) -> bool {
        self.danger_accept_invalid_certs
    }

    /// Applies one `ssl.*` property; `Ok(false)` when the key is not a TLS key.
    ///
    /// Keys: `ssl.ca.location`, `ssl.ca.pem`, `ssl.ca.builtin.roots`,
    /// `ssl.certificate.location`, `ssl.certificate.pem`, `ssl.key.location`, `ssl.key.pem`,
    /// `ssl.key.password`, `ssl.endpoint.identification.algorithm`,
    /// `enable.ssl.certificate.verification`, and Java's PEM spellings
    /// `ssl.truststore.certificates`, `ssl.keystore.certificate.chain`, `ssl.keystore.key`,
    /// `ssl.truststore.type=PEM`, `ssl.keystore.type=PEM`. Java key stores (JKS, PKCS12) are
    /// refused with an explanation.
    pub fn set_property(&mut self, key: &str, value: &str) -> Result<bool, ConfigError> {
        match key {
            "ssl.ca.location" => {
                if value.trim().eq_ignore_ascii_case("probe") {
                    self.builtin_roots = Some(true);
                } else if value.trim().is_empty() {
                    return Err(ConfigError::invalid(
                        key,
                        value,
                        "a PEM file path, or `probe`",
                    ));
                } else {
                    self.ca_location = Some(PathBuf::from(value.trim()));
                }
            }
            "ssl.ca.pem" | "ssl.truststore.certificates" => self.ca_pem = Some(value.to_owned()),
            "ssl.ca.builtin.roots" => self.builtin_roots = Some(parse_bool(key, value)?),
            "ssl.certificate.location" => {
                self.certificate_location = Some(PathBuf::from(value.trim()))
            }
            "ssl.certificate.pem" | "ssl.keystore.certificate.chain" => {
                self.certificate_pem = Some(value.to_owned())
            }
            "ssl.key.location" => self.key_location = Some(PathBuf::from(value.trim())),
            "ssl.key.pem" | "ssl.keystore.key" => self.key_pem = Some(Secret::new(value)),
            "ssl.key.password" | "ssl.keystore.password" | "ssl.truststore.password" => {
                if !value.is_empty() {
                    return Err(ConfigError::Unsupported {
                        key: key.into(),
                        reason: "encrypted private keys and key stores are not supported; \
                                 use an unencrypted PEM key (e.g. `openssl pkcs8 -topk8 -nocrypt`)"
                            .into(),
                    });
                }
            }
            "ssl.truststore.type" | "ssl.keystore.type" => {
                if !value.trim().eq_ignore_ascii_case("PEM") {
                    return Err(ConfigError::invalid(
                        key,
                        value,
                        "PEM (JKS and PKCS12 stores are not supported; use ssl.ca.location / ssl.certificate.location / ssl.key.location)",
                    ));
                }
            }
            "ssl.truststore.location" | "ssl.keystore.location" => {
                return Err(ConfigError::Unsupported {
                    key: key.into(),
                    reason: "Java key stores are not supported; use PEM files with \
                             ssl.ca.location, ssl.certificate.location and ssl.key.location"
                        .into(),
                })
            }
            "ssl.endpoint.identification.algorithm" => {
                match value.trim().to_ascii_lowercase().as_str() {
                    "https" => self.skip_hostname_verification = false,
                    "none" | "" => self.skip_hostname_verification = true,
                    _ => return Err(ConfigError::invalid(key, value, "`https` or `none`")),
                }
            }
            "enable.ssl.certificate.verification" => {
                self.danger_accept_invalid_certs = !parse_bool(key, value)?
            }
            "ssl.enabled.protocols" => {
                let expected = "a comma-separated list of TLSv1.2 and TLSv1.3";
                let mut versions = TlsVersions {
                    tls12: false,
                    tls13: false,
                };
                for v in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
                    match v {
                        "TLSv1.2" => versions.tls12 = true,
                        "TLSv1.3" => versions.tls13 = true,
                        _ => return Err(ConfigError::invalid(key, value, expected)),
                    }
                }
                if versions
                    == (TlsVersions {
                        tls12: false,
                        tls13: false,
                    })
                {
                    return Err(ConfigError::invalid(key, value, expected));
                }
                self.versions = versions;
            }
            "ssl.cipher.suites"
            | "ssl.curves.list"
            | "ssl.sigalgs.list"
            | "ssl.engine.factory.class"
            | "ssl.keymanager.algorithm"
            | "ssl.trustmanager.algorithm"
            | "ssl.providers"
            | "ssl.engine.location"
            | "ssl.keystore.location.pkcs12" => {
                return Err(ConfigError::Unsupported {
                    key: key.into(),
                    reason: "rustls picks safe algorithms itself and has no engine or provider \
                             plug-ins; remove this setting"
                        .into(),
                })
            }
            _ => return Ok(false),
        }
        self.changed();
        Ok(true)
    }

    /// Checks what can be checked without reading files: a client certificate needs a key
    /// and vice versa, and something must be trusted.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let has_cert = self.certificate_location.is_some() || self.certificate_pem.is_some();
        let has_key = self.key_location.is_some() || self.key_pem.is_some();
        if has_cert && !has_key {
            return Err(ConfigError::Missing {
                key: "ssl.key.location".into(),
                reason: "a client certificate (ssl.certificate.*) needs its private key \
                         (ssl.key.location or ssl.key.pem)"
                    .into(),
            });
        }
        if has_key && !has_cert {
            return Err(ConfigError::Missing {
                key: "ssl.certificate.location".into(),
                reason: "a private key (ssl.key.*) needs its certificate \
                         (ssl.certificate.location or ssl.certificate.pem)"
                    .into(),
            });
        }
        if self.builtin_roots == Some(false)
            && self.ca_location.is_none()
            && self.ca_pem.is_none()
            && !self.danger_accept_invalid_certs
        {
            return Err(ConfigError::Missing {
                key: "ssl.ca.location".into(),
                reason: "ssl.ca.builtin.roots=false leaves no trusted CA".into(),
            });
        }
        Ok(())
    }

    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    fn uses_builtin_roots(&self) -> bool {
        self.builtin_roots
            .unwrap_or(self.ca_location.is_none() && self.ca_pem.is_none())
    }

    fn changed(&mut self) {
        #[cfg(feature = "tls")]
        {
            self.cache = Arc::default();
        }
    }
}

#[cfg(feature = "tls")]
pub use self::imp::*;

#[cfg(feature = "tls")]
mod imp {
    use super::*;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::client::WebPkiServerVerifier;
    use rustls::crypto::CryptoProvider;
    use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
    use tokio::net::TcpStream;

    /// Wraps `tcp` in TLS for the broker at `server_name` (a DNS name or an IP address; IPv6
    /// may be bracketed) and completes the handshake.
    ///
    /// The first call for a `TlsConfig` (and its clones) reads the PEM files on a blocking
    /// thread and caches the rustls configuration. Bound the call with the connection
    /// set-up timeout: a broker that never answers the handshake stalls it.
    pub async fn connect_tls(
        tcp: TcpStream,
        server_name: &str,
        cfg: &TlsConfig,
    ) -> Result<Transport, SecurityError> {
        let config = client_config(cfg).await?;
        let name = server_name_for(server_name)?;
        let connector = tokio_rustls::TlsConnector::from(config);
        match connector.connect(name, tcp).await {
            Ok(stream) => {
                tracing::debug!(server_name, "TLS handshake complete");
                Ok(Transport::Tls(Box::new(stream)))
            }
            Err(source) => Err(SecurityError::TlsHandshake {
                server_name: server_name.to_owned(),
                source,
            }),
        }
    }

    /// The rustls configuration for `cfg`: the cached one, or built (on a blocking thread,
    /// since it reads files) and cached.
    pub async fn client_config(
        cfg: &TlsConfig,
    ) -> Result<Arc<rustls::ClientConfig>, SecurityError> {
        if let Some(config) = cfg.cache.get() {
            return Ok(config.clone());
        }
        let owned = cfg.clone();
        let built = tokio::task::spawn_blocking(move || owned.build_client_config())
            .await
            .map_err(|e| SecurityError::Unavailable {
                what: "TLS configuration",
                reason: format!("the task reading the certificates failed: {e}"),
            })??;
        // Another connection may have won the race; either result is equivalent.
        Ok(cfg.cache.get_or_init(|| built).clone())
    }

    /// The server name to verify and (for DNS names) send as SNI.
    pub fn server_name_for(host: &str) -> Result<ServerName<'static>, SecurityError> {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        ServerName::try_from(bare.to_owned()).map_err(|_| SecurityError::InvalidServerName {
            host: host.to_owned(),
        })
    }

    impl TlsConfig {
        /// Builds the rustls configuration now (reading files, so blocking), caches it, and
        /// returns it. Call it when creating a client to report bad certificates early.
        pub fn prepare(&self) -> Result<Arc<rustls::ClientConfig>, SecurityError> {
            if let Some(config) = self.cache.get() {
                return Ok(config.clone());
            }
            let built = self.build_client_config()?;
            Ok(self.cache.get_or_init(|| built).clone())
        }

        fn build_client_config(&self) -> Result<Arc<rustls::ClientConfig>, SecurityError> {
            self.validate()?;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
            if self.versions.tls13 {
                versions.push(&rustls::version::TLS13);
            }
            if self.versions.tls12 {
                versions.push(&rustls::version::TLS12);
            }
            let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(&versions)
                .map_err(|e| tls_error("ssl.enabled.protocols", e))?;

            let verifier: Arc<dyn ServerCertVerifier> = if self.danger_accept_invalid_certs {
                Arc::new(danger::AcceptAnyCertificate {
                    provider: provider.clone(),
                })
            } else {
                let roots = Arc::new(self.root_store()?);
                let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                    .build()
                    .map_err(|e| tls_error("ssl.ca.location", e))?;
                if self.skip_hostname_verification {
                    Arc::new(ChainOnlyVerifier { inner: webpki })
                } else {
                    webpki
                }
            };
            let builder = builder
                .dangerous()
                .with_custom_certificate_verifier(verifier);

            let config = match self.client_identity()? {
                Some((chain, key)) => builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| tls_error("ssl.key.location", e))?,
                None => builder.with_no_client_auth(),
            };
            Ok(Arc::new(config))
        }

        fn root_store(&self) -> Result<RootCertStore, SecurityError> {
            let mut roots = RootCertStore::empty();
            if self.uses_builtin_roots() {
                roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            }
            if let Some(path) = &self.ca_location {
                let pem = read_file("ssl.ca.location", path)?;
                add_cas(&mut roots, "ssl.ca.location", &pem)?;
            }
            if let Some(pem) = &self.ca_pem {
                add_cas(&mut roots, "ssl.ca.pem", pem.as_bytes())?;
            }
            if roots.is_empty() {
                return Err(ConfigError::Missing {
                    key: "ssl.ca.location".into(),
                    reason: "no trusted CA certificate".into(),
                }
                .into());
            }
            Ok(roots)
        }

        #[allow(clippy::type_complexity)]
        fn client_identity(
            &self,
        ) -> Result<Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)>, SecurityError>
        {
            let key = match (&self.key_location, &self.key_pem) {
                (Some(path), _) => Some(private_key(
                    "ssl.key.location",
                    &read_file("ssl.key.location", path)?,
                )?),
                (None, Some(pem)) => Some(private_key("ssl.key.pem", pem.expose().as_bytes())?),
                (None, None) => None,
            };
            let chain = match (&self.certificate_location, &self.certificate_pem) {
                (Some(path), _) => Some(certificates(
                    "ssl.certificate.location",
                    &read_file("ssl.certificate.location", path)?,
                )?),
                (None, Some(pem)) => Some(certificates("ssl.certificate.pem", pem.as_bytes())?),
                (None, None) => None,
            };
            Ok(chain.zip(key))
        }
    }

    fn tls_error(key: &str, e: impl fmt::Display) -> SecurityError {
        ConfigError::Unsupported {
            key: key.into(),
            reason: e.to_string(),
        }
        .into()
    }

    fn read_file(key: &str, path: &std::path::Path) -> Result<Vec<u8>, SecurityError> {
        std::fs::read(path).map_err(|e| {
            ConfigError::File {
                key: key.into(),
                path: path.display().to_string(),
                reason: e.to_string(),
            }
            .into()
        })
    }

    fn certificates(key: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, SecurityError> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ConfigError::invalid(key, "<PEM>", format!("PEM certificates ({e})")))?;
        if certs.is_empty() {
            return Err(
                ConfigError::invalid(key, "<PEM>", "at least one PEM CERTIFICATE block").into(),
            );
        }
        Ok(certs)
    }

    fn add_cas(roots: &mut RootCertStore, key: &str, pem: &[u8]) -> Result<(), SecurityError> {
        for cert in certificates(key, pem)? {
            roots.add(cert).map_err(|e| {
                ConfigError::invalid(key, "<PEM>", format!("a valid CA certificate ({e})"))
            })?;
        }
        Ok(())
    }

    fn private_key(key: &str, pem: &[u8]) -> Result<PrivateKeyDer<'static>, SecurityError> {
        // Key material never goes into the error: only what kind of problem it is.
        if pem.windows(9).any(|w| w == b"ENCRYPTED") {
            return Err(ConfigError::Unsupported {
                key: key.into(),
                reason: "the private key is encrypted; decrypt it (e.g. `openssl pkcs8 -topk8 -nocrypt`)".into(),
            }
            .into());
        }
        PrivateKeyDer::from_pem_slice(pem).map_err(|_| {
            ConfigError::invalid(
                key,
                "<redacted>",
                "an unencrypted PKCS#8, PKCS#1 (RSA) or SEC1 (EC) PEM private key",
            )
            .into()
        })
    }

    /// Verifies the chain but not the host name (`ssl.endpoint.identification.algorithm=none`).
    #[derive(Debug)]
    struct ChainOnlyVerifier {
        inner: Arc<WebPkiServerVerifier>,
    }

    impl ServerCertVerifier for ChainOnlyVerifier {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            // webpki checks the name last, after the chain, so this error means the chain
            // was good.
            match self.inner.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.inner.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.inner.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.inner.supported_verify_schemes()
        }
    }

    mod danger {
        use super::*;

        /// DANGER: accepts every certificate (`enable.ssl.certificate.verification=false`).
        /// Handshake signatures are still checked against the presented certificate.
        #[derive(Debug)]
        pub(super) struct AcceptAnyCertificate {
            pub(super) provider: Arc<CryptoProvider>,
        }

        impl ServerCertVerifier for AcceptAnyCertificate {
            fn verify_server_cert(
                &self,
                _end_entity: &CertificateDer<'_>,
                _intermediates: &[CertificateDer<'_>],
                _server_name: &ServerName<'_>,
                _ocsp_response: &[u8],
                _now: UnixTime,
            ) -> Result<ServerCertVerified, rustls::Error> {
                Ok(ServerCertVerified::assertion())
            }

            fn verify_tls12_signature(
                &self,
                message: &[u8],
                cert: &CertificateDer<'_>,
                dss: &DigitallySignedStruct,
            ) -> Result<HandshakeSignatureValid, rustls::Error> {
                rustls::crypto::verify_tls12_signature(
                    message,
                    cert,
                    dss,
                    &self.provider.signature_verification_algorithms,
                )
            }

            fn verify_tls13_signature(
                &self,
                message: &[u8],
                cert: &CertificateDer<'_>,
                dss: &DigitallySignedStruct,
            ) -> Result<HandshakeSignatureValid, rustls::Error> {
                rustls::crypto::verify_tls13_signature(
                    message,
                    cert,
                    dss,
                    &self.provider.signature_verification_algorithms,
                )
            }

            fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
                self.provider
                    .signature_verification_algorithms
                    .supported_schemes()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_map_to_settings() {
        let mut t = TlsConfig::default();
        assert!(t.hostname_verification());
        assert!(t.uses_builtin_roots());
        assert!(t
            .set_property("ssl.ca.location", "/etc/kafka/ca.pem")
            .unwrap());
        assert!(!t.uses_builtin_roots());
        assert!(t.set_property("ssl.ca.location", "probe").unwrap());
        assert!(t.uses_builtin_roots());
        assert!(t
            .set_property("ssl.endpoint.identification.algorithm", "none")
            .unwrap());
        assert!(!t.hostname_verification());
        assert!(t
            .set_property("ssl.endpoint.identification.algorithm", "HTTPS")
            .unwrap());
        assert!(t.hostname_verification());
        assert!(t
            .set_property("enable.ssl.certificate.verification", "false")
            .unwrap());
        assert!(t.accepts_invalid_certs());
        assert!(!t.set_property("ssl.unknown.thing", "x").unwrap());
        let err = t
            .set_property("ssl.endpoint.identification.algorithm", "ldap")
            .unwrap_err();
        assert!(err.to_string().contains("`https` or `none`"), "{err}");
        assert!(t.set_property("ssl.enabled.protocols", "TLSv1.3").unwrap());
        assert_eq!(
            t.versions,
            TlsVersions {
                tls12: false,
                tls13: true
            }
        );
        assert!(t.set_property("ssl.enabled.protocols", "TLSv1.1").is_err());
        assert!(t.set_property("ssl.enabled.protocols", "").is_err());
        assert_eq!(
            t.set_property("ssl.cipher.suites", "X").unwrap_err().key(),
            "ssl.cipher.suites"
        );
    }

    #[test]
    fn encrypted_keys_and_key_stores_are_refused_without_echoing_secrets() {
        let mut t = TlsConfig::default();
        let err = t.set_property("ssl.key.password", "topsecret").unwrap_err();
        assert_eq!(err.key(), "ssl.key.password");
        assert!(!err.to_string().contains("topsecret"));
        assert!(t.set_property("ssl.key.password", "").unwrap());
        assert!(t.set_property("ssl.truststore.location", "/x.jks").is_err());
        assert!(t.set_property("ssl.keystore.type", "JKS").is_err());
        assert!(t.set_property("ssl.keystore.type", "PEM").unwrap());
        t.set_property("ssl.key.pem", "-----BEGIN PRIVATE KEY-----\nsecretbytes")
            .unwrap();
        assert!(!format!("{t:?}").contains("secretbytes"));
    }

    #[test]
    fn certificate_and_key_come_in_pairs() {
        let t = TlsConfig::default().with_certificate_pem("pem");
        assert_eq!(t.validate().unwrap_err().key(), "ssl.key.location");
        let t = TlsConfig::default().with_key_pem("pem");
        assert_eq!(t.validate().unwrap_err().key(), "ssl.certificate.location");
        let t = TlsConfig::default().with_builtin_roots(false);
        assert_eq!(t.validate().unwrap_err().key(), "ssl.ca.location");
    }

    #[cfg(feature = "tls")]
    #[test]
    fn server_names_accept_dns_names_and_ip_addresses() {
        use rustls_pki_types::ServerName;
        assert!(matches!(
            server_name_for("broker-1.example.com").unwrap(),
            ServerName::DnsName(_)
        ));
        assert!(matches!(
            server_name_for("127.0.0.1").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(matches!(
            server_name_for("[::1]").unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(server_name_for("bad name!").is_err());
    }

    #[cfg(feature = "tls")]
    #[test]
    fn bad_pem_is_a_config_error_naming_the_key() {
        let t = TlsConfig::default().with_ca_pem("not a certificate");
        let err = t.prepare().unwrap_err();
        assert!(err.to_string().contains("ssl.ca.pem"), "{err}");
        let t = TlsConfig::default().with_ca_location("/nonexistent/ca.pem");
        let err = t.prepare().unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"), "{err}");
        let t = TlsConfig::default().with_certificate_pem("x").with_key_pem(
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        );
        let err = t.prepare().unwrap_err();
        assert!(err.to_string().contains("encrypted"), "{err}");
    }

    #[cfg(feature = "tls")]
    #[test]
    fn builtin_roots_build_and_are_cached_until_changed() {
        let t = TlsConfig::default();
        let a = t.prepare().unwrap();
        let b = t.clone().prepare().unwrap();
        assert!(Arc::ptr_eq(&a, &b), "clones share the cached configuration");
        let t = t.with_hostname_verification(false);
        let c = t.prepare().unwrap();
        assert!(!Arc::ptr_eq(&a, &c), "a change rebuilds it");
    }
}
