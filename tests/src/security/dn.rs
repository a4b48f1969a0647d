//! The subject DN of an X.509 certificate (DER) in RFC 2253 form, as Java's
//! `X500Principal.getName()` prints it (`CN=alice,OU=eng,O=Example`), for SSL principals.
//! A small bounded DER walk: never panics, gives `None` for anything it cannot read.

/// One DER TLV: (tag, content, rest).
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (bytes, rest) = rest.split_at(n);
        (bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b)), rest)
    };
    if rest.len() < len {
        return None;
    }
    let (content, rest) = rest.split_at(len);
    Some((tag, content, rest))
}

fn attribute_name(oid: &[u8]) -> Option<&'static str> {
    Some(match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x0a] => "O",
        [0x55, 0x04, 0x0b] => "OU",
        [0x55, 0x04, 0x09] => "STREET",
        _ => return None,
    })
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == value.chars().count() && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The subject of a DER certificate in RFC 2253 form (most specific RDN first); attributes
/// with types other than CN, C, L, ST, O, OU, STREET are left out.
pub fn subject_dn(certificate: &[u8]) -> Option<String> {
    let (0x30, cert, _) = tlv(certificate)? else { return None };
    let (0x30, tbs, _) = tlv(cert)? else { return None };
    let mut rest = tbs;
    let (tag, _, after) = tlv(rest)?;
    if tag == 0xa0 {
        rest = after; // explicit version
    }
    // serial, signature algorithm, issuer, validity, then subject.
    for _ in 0..4 {
        rest = tlv(rest)?.2;
    }
    let (0x30, mut rdns, _) = tlv(rest)? else { return None };
    let mut parts = Vec::new();
    while !rdns.is_empty() {
        let (0x31, mut set, next) = tlv(rdns)? else { return None };
        rdns = next;
        let mut rdn = Vec::new();
        while !set.is_empty() {
            let (0x30, atv, next) = tlv(set)? else { return None };
            set = next;
            let (0x06, oid, value) = tlv(atv)? else { return None };
            let (_, value, _) = tlv(value)?;
            if let (Some(name), Ok(value)) = (attribute_name(oid), std::str::from_utf8(value)) {
                rdn.push(format!("{name}={}", escape(value)));
            }
        }
        if !rdn.is_empty() {
            parts.push(rdn.join("+"));
        }
    }
    parts.reverse();
    Some(parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::subject_dn;

    #[test]
    fn subject_in_rfc2253_order_with_escapes() {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["x.test".to_string()]).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params.distinguished_name.push(rcgen::DnType::CountryName, "NL");
        params.distinguished_name.push(rcgen::DnType::OrganizationName, "Example");
        params.distinguished_name.push(rcgen::DnType::OrganizationalUnitName, "eng");
        params.distinguished_name.push(rcgen::DnType::CommonName, "smith, j");
        let cert = params.self_signed(&key).unwrap();
        assert_eq!(subject_dn(cert.der()).as_deref(), Some("CN=smith\\, j,OU=eng,O=Example,C=NL"));
    }

    #[test]
    fn garbage_and_truncation_give_none() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["x.test".to_string()]).unwrap().self_signed(&key).unwrap();
        let der = cert.der().to_vec();
        for cut in 0..der.len() {
            assert_eq!(subject_dn(&der[..cut]), None, "cut at {cut}");
        }
        assert_eq!(subject_dn(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(subject_dn(b""), None);
    }
}
