//! The CPU cost of the client side of SASL SCRAM (one key derivation per authentication)
//! and of building a TLS client configuration.
//!
//! `cargo bench -p kafka-protocol --bench sasl`

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use kafka_protocol::net::sasl::scram::{ScramClient, ScramHash};
use kafka_protocol::net::sasl::{SaslMechanism, SaslStep};
use kafka_protocol::net::security::Secret;

fn scram(c: &mut Criterion) {
    for (hash, name) in [
        (ScramHash::Sha256, "scram_sha256_4096"),
        (ScramHash::Sha512, "scram_sha512_4096"),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut client =
                    ScramClient::with_nonce(hash, "user", Secret::new("pencil"), "clientnonce");
                let _ = client.initial_response().unwrap();
                let step = client
                    .step(b"r=clientnonceservernonce,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
                    .unwrap();
                assert!(matches!(step, SaslStep::Respond(_)));
            })
        });
    }
}

#[cfg(feature = "tls")]
fn tls_config(c: &mut Criterion) {
    use kafka_protocol::net::tls::TlsConfig;
    c.bench_function("tls_client_config_builtin_roots", |b| {
        b.iter(|| {
            TlsConfig::default()
                .with_hostname_verification(true)
                .prepare()
                .unwrap()
        })
    });
}

#[cfg(not(feature = "tls"))]
fn tls_config(_: &mut Criterion) {}

criterion_group!(benches, scram, tls_config);
criterion_main!(benches);
