//! `/files/download`, `/files/read` and `/files/browse` over an agent's sandboxes: a real sandbox
//! path, or the virtual `/frameworks/<fw>/executors/<ex>/runs/<container|latest>/...` form.
//! Anything outside the agent's sandboxes is 404, as files a Mesos agent never attached are.

use std::path::{Path, PathBuf};

use http_body_util::BodyExt;
use hyper::StatusCode;
use serde_json::json;
use tokio::io::AsyncReadExt;

use crate::local::http::body::{self, ChannelBody, Reply};
use crate::local::http::Req;

/// Resolves a requested path to a file or folder inside `root` (symlinks followed).
fn resolve(root: &Path, requested: &str) -> Option<PathBuf> {
    let candidate = match requested.strip_prefix("/frameworks/") {
        Some(rest) => root.join("frameworks").join(rest),
        None => PathBuf::from(requested),
    };
    let real = candidate.canonicalize().ok()?;
    let root = root.canonicalize().ok()?;
    real.starts_with(&root).then_some(real)
}

fn path_param(req: &Req) -> Result<String, Box<Reply>> {
    req.query("path")
        .ok_or_else(|| Box::new(body::bad_request("Expecting 'path=value' in query.\n")))
}

/// `GET /files/download?path=...`: the file as an attachment.
pub(crate) fn download(root: &Path, req: &Req, runtime: &tokio::runtime::Handle) -> Reply {
    let requested = match path_param(req) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Some(path) = resolve(root, &requested) else {
        return body::not_found();
    };
    if path.is_dir() {
        return body::bad_request("Cannot download a directory.\n");
    }
    let Ok(meta) = std::fs::metadata(&path) else {
        return body::not_found();
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let size = meta.len();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let file = path.clone();
    runtime.spawn(async move {
        let Ok(mut f) = tokio::fs::File::open(&file).await else {
            return;
        };
        let mut left = size;
        let mut buf = vec![0u8; 256 * 1024];
        while left > 0 {
            let want = buf.len().min(usize::try_from(left).unwrap_or(buf.len()));
            match f.read(&mut buf[..want]).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    left -= n as u64;
                    if tx.send(bytes::Bytes::copy_from_slice(&buf[..n])).is_err() {
                        return;
                    }
                }
            }
        }
    });
    let length = size.to_string();
    let disposition = format!("attachment; filename={name}");
    body::with_headers(
        StatusCode::OK,
        &[
            ("Content-Length", &length),
            ("Content-Disposition", &disposition),
            ("Content-Type", "application/octet-stream"),
        ],
        ChannelBody(rx).boxed(),
    )
}

/// `GET /files/read?path=...&offset=N&length=M`: `{"data": ..., "offset": N}`; offset -1 gives
/// the file's size (where to start tailing).
pub(crate) fn read(root: &Path, req: &Req) -> Reply {
    let requested = match path_param(req) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Some(path) = resolve(root, &requested) else {
        return body::not_found();
    };
    if path.is_dir() {
        return body::bad_request("Cannot read a directory.\n");
    }
    let Ok(data) = std::fs::read(&path) else {
        return body::not_found();
    };
    let offset: i64 = match req.query("offset").map(|o| o.parse::<i64>()) {
        None => 0,
        Some(Ok(o)) => o,
        Some(Err(e)) => return body::bad_request(format!("Failed to parse offset: {e}.\n")),
    };
    if offset < 0 {
        return body::json(&json!({"data": "", "offset": data.len()}));
    }
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let length = req
        .query("length")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(data.len());
    let end = start.saturating_add(length).min(data.len());
    body::json(&json!({
        "data": String::from_utf8_lossy(&data[start..end]),
        "offset": start,
    }))
}

/// `GET /files/browse?path=...`: the folder's entries.
pub(crate) fn browse(root: &Path, req: &Req) -> Reply {
    use std::os::unix::fs::MetadataExt;
    let requested = match path_param(req) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let Some(path) = resolve(root, &requested) else {
        return body::not_found();
    };
    let Ok(entries) = std::fs::read_dir(&path) else {
        return body::not_found();
    };
    let mut list: Vec<serde_json::Value> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let kind = if meta.is_dir() { 'd' } else { '-' };
            Some(json!({
                "path": e.path().display().to_string(),
                "size": meta.len(),
                "mode": format!("{kind}{:o}", meta.mode() & 0o777),
                "mtime": meta.mtime() as f64,
                "nlink": meta.nlink(),
                "uid": meta.uid().to_string(),
                "gid": meta.gid().to_string(),
            }))
        })
        .collect();
    list.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    body::json(&serde_json::Value::Array(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("slaves/S0");
        std::fs::create_dir_all(root.join("frameworks/f/executors/e/runs/c")).unwrap();
        std::fs::write(root.join("frameworks/f/executors/e/runs/c/stdout"), "hi").unwrap();
        assert!(resolve(&root, "/frameworks/f/executors/e/runs/c/stdout").is_some());
        let real = root.join("frameworks/f/executors/e/runs/c/stdout");
        assert!(resolve(&root, &real.display().to_string()).is_some());
        assert!(resolve(&root, "/etc/passwd").is_none());
        assert!(resolve(&root, "/frameworks/../../../etc/passwd").is_none());
        assert!(resolve(&root, "/frameworks/f/nope").is_none());
    }
}
