//! The shared async client runtime. (Minimal module list from the security branch; the
//! runtime's own modules are declared by the branch that builds them.)

pub mod sasl;
pub mod security;
pub mod tls;
pub mod transport;
