//! lab10's certificates, made fresh for every grading (rcgen, ring): a CA whose name comes
//! from the grading's seed, and four leaves that a client checking against that CA must
//! accept or refuse for exactly one reason each.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;

use crate::rng::Rng;

/// A server's certificate and key, ready for rustls, with the names a check compares.
#[derive(Clone, Debug)]
pub struct Leaf {
    pub key: Arc<CertifiedKey>,
    /// The subject's common name (`CN=...`): random, and not the host name, which is in the
    /// subjectAltName where a client checks it.
    pub common_name: String,
    /// The DNS name in the subjectAltName.
    pub host: String,
}

/// One grading's certificates.
#[derive(Clone, Debug)]
pub struct Certs {
    /// The CA a client is given (`CAFILE`), PEM.
    pub ca_pem: String,
    pub ca_name: String,
    /// For `host`, signed by the CA, valid now.
    pub valid: Leaf,
    /// Signed by the CA, valid now, for another name than `host`.
    pub wrong_host: Leaf,
    /// For `host`, valid now, signed by a CA the client was not given.
    pub unknown_ca: Leaf,
    /// For `host`, signed by the CA, expired years ago.
    pub expired: Leaf,
}

/// Why certificates could not be made (a grader failure, never the student's).
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("failed to make a certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("failed to load a certificate key: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Makes a grading's certificates for `host`, with names drawn from `rng`.
pub fn make(rng: &mut Rng, host: &str) -> Result<Certs, CertError> {
    let ca_name = format!("netgrade lab10 CA {}", rng.token(6));
    let (ca_pem, ca) = authority(&ca_name)?;
    let other_name = format!("netgrade untrusted CA {}", rng.token(6));
    let (_, other_ca) = authority(&other_name)?;
    let now = ((2000, 1, 1), (2099, 12, 31));
    let past = ((2020, 1, 1), (2021, 1, 1));
    let wrong = format!("{}.invalid", rng.token(8));
    Ok(Certs {
        ca_pem,
        ca_name,
        valid: leaf(rng, host, now, &ca)?,
        wrong_host: leaf(rng, &wrong, now, &ca)?,
        unknown_ca: leaf(rng, host, now, &other_ca)?,
        expired: leaf(rng, host, past, &ca)?,
    })
}

/// Not before, not after: (year, month, day) each.
type Dates = ((i32, u8, u8), (i32, u8, u8));

/// A self-signed CA named `name`: its PEM and the issuer that signs leaves.
fn authority(name: &str) -> Result<(String, Issuer<'static, KeyPair>), CertError> {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = date_time_ymd(2000, 1, 1);
    params.not_after = date_time_ymd(2099, 12, 31);
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok((cert.pem(), Issuer::new(params, key)))
}

/// A server certificate for `host` with a random common name, valid between `dates`.
fn leaf(
    rng: &mut Rng,
    host: &str,
    dates: Dates,
    ca: &Issuer<'_, KeyPair>,
) -> Result<Leaf, CertError> {
    let common_name = format!("lab10-{}", rng.token(8));
    let mut params = CertificateParams::new(vec![host.to_string()])?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name.as_str());
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // OpenSSL's strict mode (Python 3.13's default context) wants the authority key id.
    params.use_authority_key_identifier_extension = true;
    let ((y0, m0, d0), (y1, m1, d1)) = dates;
    params.not_before = date_time_ymd(y0, m0, d0);
    params.not_after = date_time_ymd(y1, m1, d1);
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, ca)?;
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signer = rustls::crypto::ring::sign::any_supported_type(&der)?;
    Ok(Leaf {
        key: Arc::new(CertifiedKey::new(
            vec![CertificateDer::from(cert.der().to_vec())],
            signer,
        )),
        common_name,
        host: host.to_string(),
    })
}

/// The subject's common name of a DER certificate (`None` when it has none or the DER is not
/// a certificate): enough X.509 to print `subject=CN=...` without another parser.
pub fn common_name(der: &[u8]) -> Option<String> {
    let (_, cert, _) = tlv(der)?;
    let (_, mut tbs, _) = tlv(cert)?;
    // version ([0], optional), then serial, signature, issuer, validity, subject.
    let (tag, _, rest) = tlv(tbs)?;
    if tag == 0xA0 {
        tbs = rest;
    }
    for _ in 0..4 {
        tbs = tlv(tbs)?.2;
    }
    let (_, mut subject, _) = tlv(tbs)?;
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    while !subject.is_empty() {
        let (_, set, rest) = tlv(subject)?;
        subject = rest;
        let (_, attr, _) = tlv(set)?;
        let (_, oid, value) = tlv(attr)?;
        if oid == CN {
            let (_, text, _) = tlv(value)?;
            return String::from_utf8(text.to_vec()).ok();
        }
    }
    None
}

/// One DER element: its tag, its contents and what follows it.
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, head) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7F) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let len = b
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, x| (acc << 8) | *x as usize);
        (len, 2 + n)
    };
    let end = head.checked_add(len)?;
    Some((tag, b.get(head..end)?, b.get(end..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_carry_their_names_and_the_common_name_reads_back() {
        let certs = make(&mut Rng::new(7), "localhost").unwrap();
        assert!(certs.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(certs.ca_name.starts_with("netgrade lab10 CA "));
        for leaf in [&certs.valid, &certs.unknown_ca, &certs.expired] {
            assert_eq!(leaf.host, "localhost");
            let cn = common_name(&leaf.key.cert[0]).unwrap();
            assert_eq!(cn, leaf.common_name);
        }
        assert!(certs.wrong_host.host.ends_with(".invalid"));
        let again = make(&mut Rng::new(7), "localhost").unwrap();
        assert_eq!(again.valid.common_name, certs.valid.common_name);
        assert_eq!(common_name(b"\x30\x82"), None);
        assert_eq!(common_name(&[]), None);
    }
}
