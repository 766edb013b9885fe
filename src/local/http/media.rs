//! Mesos's content negotiation: `Content-Type` compared exactly (400 when missing, 415 when
//! neither type), `Accept` with q-values, JSON preferred when acceptable (406 when neither).

use hyper::header::HeaderMap;
use hyper::StatusCode;

use super::body::{self, Reply};

pub(crate) const JSON: &str = "application/json";
pub(crate) const PROTOBUF: &str = "application/x-protobuf";

/// The two encodings of the v1 APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Media {
    Json,
    Protobuf,
}

impl Media {
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Media::Json => JSON,
            Media::Protobuf => PROTOBUF,
        }
    }
}

/// The request body's encoding, or the error response a real master gives.
pub(crate) fn request_media(headers: &HeaderMap) -> Result<Media, Box<Reply>> {
    let Some(value) = headers.get(hyper::header::CONTENT_TYPE) else {
        return Err(Box::new(body::bad_request(
            "Expecting 'Content-Type' to be present",
        )));
    };
    match value.as_bytes() {
        b"application/json" => Ok(Media::Json),
        b"application/x-protobuf" => Ok(Media::Protobuf),
        _ => Err(Box::new(body::text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Expecting 'Content-Type' of {JSON} or {PROTOBUF}"),
        ))),
    }
}

/// The encoding of a streamed response: JSON when acceptable (no `Accept` means anything is),
/// else protobuf, else the 406 a real master gives.
pub(crate) fn response_media(headers: &HeaderMap) -> Result<Media, Box<Reply>> {
    let accept: Vec<&str> = headers
        .get_all(hyper::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if accept.is_empty() || accepts(&accept, JSON) {
        return Ok(Media::Json);
    }
    if accepts(&accept, PROTOBUF) {
        return Ok(Media::Protobuf);
    }
    Err(Box::new(body::text(
        StatusCode::NOT_ACCEPTABLE,
        format!("Expecting 'Accept' to allow '{PROTOBUF}' or '{JSON}'"),
    )))
}

/// True when the most specific `Accept` entry matching `media` has q > 0.
fn accepts(values: &[&str], media: &str) -> bool {
    let (kind, _) = media.split_once('/').unwrap_or((media, ""));
    let mut best: Option<(u8, f64)> = None;
    for entry in values.iter().flat_map(|v| v.split(',')) {
        let mut parts = entry.split(';').map(str::trim);
        let range = parts.next().unwrap_or("").to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f64>().ok())
            .unwrap_or(1.0);
        let specificity = if range == media {
            3
        } else if range == format!("{kind}/*") {
            2
        } else if range == "*/*" {
            1
        } else {
            continue;
        };
        if best.map_or(true, |(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    best.is_some_and(|(_, q)| q > 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    #[test]
    fn accept_negotiation_matches_the_master() {
        for (accept, want) in [
            ("*/*", Some(Media::Json)),
            ("application/*", Some(Media::Json)),
            ("application/x-protobuf", Some(Media::Protobuf)),
            (
                "application/x-protobuf, application/json",
                Some(Media::Json),
            ),
            (
                "application/json;q=0.1, application/x-protobuf",
                Some(Media::Json),
            ),
            ("application/json;q=0, */*", Some(Media::Protobuf)),
            ("application/x-protobuf;q=0", None),
            ("text/plain", None),
        ] {
            let got = response_media(&headers(&[("Accept", accept)])).ok();
            assert_eq!(got, want, "{accept}");
        }
        assert_eq!(response_media(&HeaderMap::new()).ok(), Some(Media::Json));
    }

    #[test]
    fn content_type_is_exact() {
        assert!(request_media(&headers(&[("Content-Type", "application/json")])).is_ok());
        let r = request_media(&headers(&[(
            "Content-Type",
            "application/json; charset=utf-8",
        )]))
        .unwrap_err();
        assert_eq!(r.status(), 415);
        assert_eq!(request_media(&HeaderMap::new()).unwrap_err().status(), 400);
    }
}
