//! The master's HTTP routes.

use std::sync::Arc;

use hyper::{Method, StatusCode};

use crate::local::http::body;
use crate::local::http::{Handler, Reply, Req};
use crate::local::world::Shared;

/// The handler of the master's port.
pub(crate) fn handler(shared: Arc<Shared>) -> Handler {
    Arc::new(move |req: Req| {
        let reply = route(&shared, req);
        Box::pin(std::future::ready(reply))
    })
}

fn route(shared: &Shared, req: Req) -> Reply {
    let path = req.uri.path().to_string();
    match path.as_str() {
        "/api/v1/scheduler" | "/master/api/v1/scheduler" => {
            super::scheduler_api::handle(shared, req)
        }
        "/master/state" | "/state" => body::json(&super::state_json::state(&shared.lock())),
        "/master/frameworks" | "/frameworks" => {
            let state = super::state_json::state(&shared.lock());
            body::json(&serde_json::json!({
                "frameworks": state["frameworks"],
                "completed_frameworks": state["completed_frameworks"],
                "unregistered_frameworks": [],
            }))
        }
        "/master/slaves" | "/slaves" => {
            let state = super::state_json::state(&shared.lock());
            body::json(&serde_json::json!({
                "slaves": state["slaves"],
                "recovered_slaves": [],
            }))
        }
        "/version" => body::json(&crate::local::version_json()),
        "/health" | "/master/health" => body::empty(StatusCode::OK),
        "/master/redirect" | "/redirect" => {
            let port = shared.lock().master.port;
            body::with_headers(
                StatusCode::TEMPORARY_REDIRECT,
                &[("Location", &format!("//127.0.0.1:{port}"))],
                body::full(""),
            )
        }
        "/master/teardown" | "/teardown" => teardown(shared, &req),
        _ => body::not_found(),
    }
}

/// The operator's `POST /master/teardown` with `frameworkId=...` in the body.
fn teardown(shared: &Shared, req: &Req) -> Reply {
    if req.method != Method::POST {
        return body::method_not_allowed(&req.method);
    }
    let text = String::from_utf8_lossy(&req.body).into_owned();
    let id = text
        .split('&')
        .find_map(|p| p.strip_prefix("frameworkId="))
        .map(str::to_string);
    let Some(id) = id else {
        return body::bad_request("Missing 'frameworkId' query parameter in the request body");
    };
    let mut world = shared.lock();
    if !world.master.frameworks.contains_key(&id) {
        return body::bad_request(format!("No framework found with specified ID: '{id}'"));
    }
    world.remove_framework(&id);
    body::empty(StatusCode::OK)
}
