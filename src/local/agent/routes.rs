//! An agent's HTTP routes.

use std::sync::Arc;

use hyper::StatusCode;

use crate::local::http::body;
use crate::local::http::{Handler, Reply, Req};
use crate::local::world::Shared;

/// The handler of agent `index`'s port.
pub(crate) fn handler(shared: Arc<Shared>, index: usize) -> Handler {
    Arc::new(move |req: Req| {
        let reply = route(&shared, index, req);
        Box::pin(std::future::ready(reply))
    })
}

fn route(shared: &Shared, index: usize, req: Req) -> Reply {
    let path = req.uri.path().to_string();
    let path = path.strip_prefix("/slave(1)").unwrap_or(&path);
    match path {
        "/api/v1/executor" => super::executor_api::handle(shared, index, req),
        "/state" | "/state.json" => body::json(&super::state_json::state(&shared.lock(), index)),
        "/files/download" | "/files/read" | "/files/browse" => {
            let (root, runtime) = {
                let w = shared.lock();
                (w.agents[index].root.clone(), w.ctx.runtime.clone())
            };
            match path {
                "/files/download" => super::files::download(&root, &req, &runtime),
                "/files/read" => super::files::read(&root, &req),
                _ => super::files::browse(&root, &req),
            }
        }
        "/version" => body::json(&crate::local::version_json()),
        "/health" => body::empty(StatusCode::OK),
        _ => body::not_found(),
    }
}
