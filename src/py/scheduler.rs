//! `satyr._satyr.SchedulerCore`: the queue scheduler core (`crate::scheduler`) for the Python
//! QueueScheduler, MesosPoolExecutor and Pool.
//!
//! Messages cross as protobuf bytes (TaskInfo, Offer, TaskStatus, Event in; scheduler Calls
//! out), times as float seconds of a monotonic clock (`time.monotonic()`; omitted: the core's
//! own clock). Every input returns `(ops, outcomes)`: `ops` is a list of `(call type, Call
//! bytes)` to send in order, `outcomes` a list of `(task id, kind, detail, is_worker)`.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use prost::Message;
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::binpack::{Method, Packing, Problem};
use crate::proto::mesos::scheduler::{event, Event};
use crate::proto::mesos::{self as m};
use crate::scheduler::{
    Config, Heuristic, OutcomeKind, Output, Placer, SchedulerCore, Template, EXCEPTION,
    OUTCOME_LABEL,
};
use crate::{Error, Result};

/// `(ops, outcomes)` as built without the GIL: ops already encoded.
struct Encoded {
    ops: Vec<(&'static str, Vec<u8>)>,
    outcomes: Vec<(String, &'static str, Option<String>, bool)>,
}

type PyOutput<'py> = (Bound<'py, PyList>, Bound<'py, PyList>);

/// `update_digest`'s answer: (task id as submitted, state, TaskStatus bytes, inline result).
type Digest<'py> = (
    String,
    &'static str,
    Bound<'py, PyBytes>,
    Option<Bound<'py, PyBytes>>,
);

/// `settle_updates`' digest of one status: (task id as submitted, TaskStatus bytes, inline
/// result).
type Settled<'py> = (String, Bound<'py, PyBytes>, Option<Bound<'py, PyBytes>>);

/// `settle_updates`' answer: ops, outcomes and a digest per event.
type SettledOutput<'py> = (Bound<'py, PyList>, Bound<'py, PyList>, Vec<Settled<'py>>);

/// An output with its ops encoded; `launches`: with the "launched" outcomes (one per task
/// placed, which a caller not logging them need not pay a Python tuple for).
fn encode(out: Output, launches: bool) -> Encoded {
    Encoded {
        ops: out
            .ops
            .into_iter()
            .map(|op| (op.name(), op.encode()))
            .collect(),
        outcomes: out
            .outcomes
            .into_iter()
            .filter(|o| launches || o.kind != OutcomeKind::Launched)
            .map(|o| (o.task_id, o.kind.name(), o.detail, o.worker))
            .collect(),
    }
}

fn to_py(py: Python<'_>, e: Encoded) -> PyResult<PyOutput<'_>> {
    let ops = PyList::empty(py);
    for (name, bytes) in e.ops {
        ops.append((name, PyBytes::new(py, &bytes)))?;
    }
    let outcomes = PyList::empty(py);
    for o in e.outcomes {
        outcomes.append(o)?;
    }
    Ok((ops, outcomes))
}

fn decode<M: Message + Default>(what: &str, data: &[u8]) -> Result<M> {
    M::decode(data).map_err(|e| Error::Protocol(format!("cannot decode the {what}: {e}")))
}

/// Float seconds to milliseconds.
fn millis(what: &str, seconds: f64) -> Result<u64> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(Error::InvalidArgument(format!(
            "{what} must be a finite number of seconds >= 0, got {seconds}"
        )));
    }
    Ok((seconds * 1000.0).round() as u64)
}

/// A Python callable as placer: `placer(items, capacities) -> list[int | None]`, rows of
/// floats in natural units (one column per dimension), like `satyr.binpack.pack`.
struct PyPlacer {
    func: Py<PyAny>,
}

impl Placer for PyPlacer {
    fn place(&mut self, problem: &Problem) -> Result<Packing> {
        Python::attach(|py| {
            let rows = |v: &crate::binpack::Vectors| -> Vec<Vec<f64>> {
                (0..v.len())
                    .map(|i| {
                        v.row(i)
                            .iter()
                            .map(|x| crate::binpack::problem::to_float(*x))
                            .collect()
                    })
                    .collect()
            };
            let result = self
                .func
                .call1(py, (rows(problem.items()), rows(problem.bins())))
                .and_then(|r| r.extract::<Vec<Option<usize>>>(py));
            match result {
                Ok(assignment) => Ok(Packing {
                    order: (0..assignment.len()).collect(),
                    assignment,
                }),
                Err(e) => Err(Error::InvalidArgument(format!("the placer failed: {e}"))),
            }
        })
    }
}

/// The queue scheduler's state machine (see `satyr._satyr.pyi` for the contract).
#[pyclass(module = "satyr._satyr", name = "SchedulerCore", frozen)]
pub struct PySchedulerCore {
    inner: Mutex<SchedulerCore>,
    start: Instant,
    /// TaskInfos that `submit_call` copies (pool calls with the pool's default settings).
    templates: Mutex<Vec<Arc<Template>>>,
    /// Whether outputs include "launched" outcomes.
    report_launches: AtomicBool,
}

/// Label of a Python task's status whose result travelled out of band (`satyr.payload=url`).
const PAYLOAD_LABEL: &str = "satyr.payload";
/// Label marking Python tasks and their statuses.
const PYTHON_LABEL: &str = "python";

/// The id a task was submitted with, from an attempt's id (`<id>.retry<n>`).
fn submitted_id(task_id: &str) -> &str {
    match task_id.rsplit_once(".retry") {
        Some((base, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => task_id,
    }
}

/// The pickled result a finished Python task's status carries inline, if it does.
fn inline_result(status: &m::TaskStatus) -> Option<&[u8]> {
    if status.state != m::TaskState::TaskFinished as i32 {
        return None;
    }
    let labels = status.labels.as_ref().map(|l| &l.labels[..]).unwrap_or(&[]);
    let python = labels.iter().any(|l| l.key == PYTHON_LABEL);
    let out_of_band = labels
        .iter()
        .any(|l| l.key == PAYLOAD_LABEL && l.value.as_deref() == Some("url"));
    match status.data.as_deref() {
        Some(data) if python && !out_of_band && !data.is_empty() => Some(data),
        _ => None,
    }
}

thread_local! {
    /// This thread is inside the core (a Python placer runs there): calling the core again would
    /// wait for itself forever.
    static INSIDE: Cell<bool> = const { Cell::new(false) };
}

impl PySchedulerCore {
    /// Runs `f` on the core: at once when the lock is free, else (and for heavy work) with the
    /// GIL released while waiting and working, so other Python threads keep running.
    fn with<R: Send>(
        &self,
        py: Python<'_>,
        heavy: bool,
        f: impl FnOnce(&mut SchedulerCore) -> R + Send,
    ) -> PyResult<R> {
        if INSIDE.with(Cell::get) {
            return Err(PyRuntimeError::new_err(
                "the scheduler core cannot be used from inside its own placer",
            ));
        }
        let run = |core: &mut SchedulerCore| {
            INSIDE.with(|i| i.set(true));
            let r = f(core);
            INSIDE.with(|i| i.set(false));
            r
        };
        if !heavy {
            if let Ok(mut core) = self.inner.try_lock() {
                return Ok(run(&mut core));
            }
        }
        Ok(py.detach(|| {
            let mut core = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            run(&mut core)
        }))
    }

    fn now(&self, now: Option<f64>) -> Result<u64> {
        match now {
            Some(s) => millis("now", s),
            None => Ok(u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX)),
        }
    }

    /// Runs an input and returns its output in Python form.
    fn run<'py>(
        &self,
        py: Python<'py>,
        heavy: bool,
        f: impl FnOnce(&mut SchedulerCore) -> Output + Send,
    ) -> PyResult<PyOutput<'py>> {
        let launches = self.report_launches.load(Ordering::Relaxed);
        let encoded = self.with(py, heavy, |core| encode(f(core), launches))?;
        to_py(py, encoded)
    }
}

/// One decoded event into the core: SUBSCRIBED, OFFERS, RESCIND, UPDATE and FAILURE count.
fn take_event(core: &mut SchedulerCore, e: Event, now: u64) -> Output {
    match e.r#type.and_then(|t| event::Type::try_from(t).ok()) {
        Some(event::Type::Subscribed) => core.subscribed(now),
        Some(event::Type::Offers) => {
            core.offers(e.offers.map(|o| o.offers).unwrap_or_default(), now)
        }
        Some(event::Type::Rescind) => match e.rescind {
            Some(r) => core.rescind(&r.offer_id.value, now),
            None => Output::default(),
        },
        Some(event::Type::Update) => match e.update {
            Some(u) => core.update(&u.status, now),
            None => Output::default(),
        },
        Some(event::Type::Failure) => {
            if let Some(f) = e.failure {
                if let (Some(a), Some(x)) = (f.agent_id, f.executor_id) {
                    core.executor_lost(&a.value, &x.value);
                }
            }
            Output::default()
        }
        _ => Output::default(),
    }
}

fn heuristic(method: &str) -> Result<Heuristic> {
    if method == "best" {
        return Ok(Heuristic::Best(crate::binpack::portfolio::DEFAULT.to_vec()));
    }
    Method::from_name(method).map(Heuristic::Method)
}

#[pymethods]
impl PySchedulerCore {
    #[new]
    #[pyo3(signature = (
        *,
        method = None,
        weights = None,
        dimensions = None,
        max_attempts = 3,
        refuse_seconds = 5.0,
        idle_refuse_seconds = 300.0,
        hold_offers = 0.0,
        too_big_after = 10.0,
        reconcile_interval = 900.0,
        reconcile_retry = 1.0,
        launch_timeout = 60.0,
        roles = None,
        max_candidates = 100_000,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        method: Option<&Bound<'_, PyAny>>,
        weights: Option<Vec<(String, f64)>>,
        dimensions: Option<Vec<String>>,
        max_attempts: u32,
        refuse_seconds: f64,
        idle_refuse_seconds: f64,
        hold_offers: f64,
        too_big_after: f64,
        reconcile_interval: f64,
        reconcile_retry: f64,
        launch_timeout: f64,
        roles: Option<Vec<String>>,
        max_candidates: usize,
    ) -> PyResult<Self> {
        let defaults = Config::default();
        let mut placer: Option<Box<dyn Placer>> = None;
        let heuristic = match method {
            None => defaults.heuristic.clone(),
            Some(m) if m.is_callable() => {
                placer = Some(Box::new(PyPlacer {
                    func: m.clone().unbind(),
                }));
                defaults.heuristic.clone()
            }
            Some(m) => {
                let name: String = m.extract().map_err(|_| {
                    PyValueError::new_err("method must be a binpack method name or a callable")
                })?;
                heuristic(&name)?
            }
        };
        let config = Config {
            heuristic,
            dimensions: dimensions.unwrap_or(defaults.dimensions),
            weights: weights.unwrap_or(defaults.weights),
            max_attempts,
            refuse_seconds,
            idle_refuse_seconds,
            hold_offers_ms: millis("hold_offers", hold_offers)?,
            too_big_after_ms: millis("too_big_after", too_big_after)?,
            reconcile_interval_ms: millis("reconcile_interval", reconcile_interval)?,
            reconcile_retry_ms: millis("reconcile_retry", reconcile_retry)?,
            reconcile_retry_max_ms: defaults.reconcile_retry_max_ms,
            launch_timeout_ms: millis("launch_timeout", launch_timeout)?,
            roles: roles.unwrap_or_default(),
            max_candidates,
            graveyard_size: defaults.graveyard_size,
        };
        let core = match placer {
            Some(p) => SchedulerCore::with_placer(config, p)?,
            None => SchedulerCore::new(config)?,
        };
        Ok(PySchedulerCore {
            inner: Mutex::new(core),
            start: Instant::now(),
            templates: Mutex::new(Vec::new()),
            report_launches: AtomicBool::new(true),
        })
    }

    /// Label key the executor sets on TASK_FAILED when the user's code raised.
    #[classattr]
    const OUTCOME_LABEL: &'static str = OUTCOME_LABEL;

    /// Value of that label for the user's exception.
    #[classattr]
    const EXCEPTION: &'static str = EXCEPTION;

    /// Queues a `mesos.v1.TaskInfo` (bytes); returns its task id. With `executor_cpus` it
    /// shares an executor of its settings only with tasks of at most that many cpus in all
    /// (0: none), starting more executors (`<id>-1`, ...) as needed.
    #[pyo3(signature = (task, max_attempts = None, executor_cpus = None))]
    fn submit(
        &self,
        py: Python<'_>,
        task: &[u8],
        max_attempts: Option<u32>,
        executor_cpus: Option<f64>,
    ) -> PyResult<String> {
        let encoded = task.to_vec();
        Ok(self.with(py, false, |core| {
            core.submit_with(encoded, max_attempts, executor_cpus)
        })??)
    }

    /// Keeps a `mesos.v1.TaskInfo` (bytes) for `submit_call` to copy; returns its number.
    fn add_template(&self, task: &[u8]) -> PyResult<usize> {
        let info: m::TaskInfo = decode("TaskInfo", task)?;
        let mut templates = self
            .templates
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        templates.push(Arc::new(Template::new(info)?));
        Ok(templates.len() - 1)
    }

    /// Queues a copy of template number `template` with this task id, name and `data` (for a
    /// Python task: its pickled call), as `submit` would queue the TaskInfo; returns the id.
    #[pyo3(signature = (template, task_id, name, data, max_attempts = None, executor_cpus = None))]
    #[allow(clippy::too_many_arguments)]
    fn submit_call(
        &self,
        py: Python<'_>,
        template: usize,
        task_id: String,
        name: String,
        data: &[u8],
        max_attempts: Option<u32>,
        executor_cpus: Option<f64>,
    ) -> PyResult<String> {
        let template = {
            let templates = self
                .templates
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            templates.get(template).cloned().ok_or_else(|| {
                Error::InvalidArgument(format!("no task template number {template}"))
            })?
        };
        Ok(self.with(py, false, |core| {
            core.submit_copy(&template, task_id, &name, data, max_attempts, executor_cpus)
        })??)
    }

    /// What an UPDATE event (`mesos.v1.scheduler.Event` bytes) says, without message proxies:
    /// `(task id as submitted, state, TaskStatus bytes, result)`, `result` being the pickled
    /// result a finished Python task's status carries inline (None otherwise); None for an
    /// event that is not an UPDATE.
    #[staticmethod]
    fn update_digest<'py>(py: Python<'py>, event: &[u8]) -> PyResult<Option<Digest<'py>>> {
        let e: Event = decode("scheduler Event", event)?;
        let Some(status) = e.update.map(|u| u.status) else {
            return Ok(None);
        };
        let state = m::TaskState::try_from(status.state)
            .map(|s| s.as_str_name())
            .unwrap_or("TASK_UNKNOWN");
        let result = inline_result(&status).map(|d| PyBytes::new(py, d));
        Ok(Some((
            submitted_id(&status.task_id.value).to_owned(),
            state,
            PyBytes::new(py, &status.encode_to_vec()),
            result,
        )))
    }

    /// A burst of UPDATE events (`mesos.v1.scheduler.Event` bytes) of template copies
    /// (`submit_call`) as one input, each decoded once: `(ops, outcomes, digests)`, a digest
    /// being `(task id as submitted, TaskStatus bytes, inline result)` for each event, in order.
    /// None, having done nothing, when an event is not an UPDATE of a live template copy, or
    /// is a finished one whose result is not inline (the caller takes those one by one).
    #[pyo3(signature = (events, now = None))]
    fn settle_updates<'py>(
        &self,
        py: Python<'py>,
        events: Vec<Bound<'py, PyBytes>>,
        now: Option<f64>,
    ) -> PyResult<Option<SettledOutput<'py>>> {
        let now = self.now(now)?;
        let mut statuses = Vec::with_capacity(events.len());
        for event in &events {
            let e: Event = decode("scheduler Event", event.as_bytes())?;
            let Some(status) = e.update.map(|u| u.status) else {
                return Ok(None);
            };
            if status.state == m::TaskState::TaskFinished as i32 && inline_result(&status).is_none()
            {
                return Ok(None);
            }
            statuses.push(status);
        }
        let applied = self.with(py, false, |core| {
            let all_copies = statuses
                .iter()
                .all(|s| core.is_copy(submitted_id(&s.task_id.value)));
            if !all_copies {
                return None;
            }
            let mut all = Output::default();
            for status in &statuses {
                let out = core.update(status, now);
                all.ops.extend(out.ops);
                all.outcomes.extend(out.outcomes);
            }
            Some(encode(all, false)) // updates launch nothing
        })?;
        let Some(encoded) = applied else {
            return Ok(None);
        };
        let (ops, outcomes) = to_py(py, encoded)?;
        let digests = statuses
            .iter()
            .map(|status| {
                (
                    submitted_id(&status.task_id.value).to_owned(),
                    PyBytes::new(py, &status.encode_to_vec()),
                    inline_result(status).map(|d| PyBytes::new(py, d)),
                )
            })
            .collect();
        Ok(Some((ops, outcomes, digests)))
    }

    /// Queues many TaskInfos at once; on an error, the tasks before it stay queued.
    #[pyo3(signature = (tasks, max_attempts = None))]
    fn submit_many(
        &self,
        py: Python<'_>,
        tasks: Vec<Vec<u8>>,
        max_attempts: Option<u32>,
    ) -> PyResult<Vec<String>> {
        let heavy = tasks.len() > 64;
        let result = self.with(py, heavy, |core| {
            let mut ids = Vec::with_capacity(tasks.len());
            for (i, bytes) in tasks.into_iter().enumerate() {
                let submitted = core.submit_encoded(bytes, max_attempts);
                match submitted {
                    Ok(id) => ids.push(id),
                    Err(e) => return Err((i, e)),
                }
            }
            Ok(ids)
        })?;
        result.map_err(|(i, e)| {
            let err: PyErr = e.into();
            let msg = format!(
                "tasks[{i}] (the {i} before it were queued): {}",
                err.value(py)
            );
            PyErr::from_type(err.get_type(py), msg)
        })
    }

    /// New offers (`mesos.v1.Offer` bytes each).
    #[pyo3(signature = (offers, now = None))]
    fn offers<'py>(
        &self,
        py: Python<'py>,
        offers: Vec<Vec<u8>>,
        now: Option<f64>,
    ) -> PyResult<PyOutput<'py>> {
        let now = self.now(now)?;
        let offers = offers
            .iter()
            .map(|b| decode::<m::Offer>("Offer", b))
            .collect::<Result<Vec<_>>>()?;
        self.run(py, true, |core| core.offers(offers, now))
    }

    /// A rescinded offer.
    #[pyo3(signature = (offer_id, now = None))]
    fn rescind<'py>(
        &self,
        py: Python<'py>,
        offer_id: String,
        now: Option<f64>,
    ) -> PyResult<PyOutput<'py>> {
        let now = self.now(now)?;
        self.run(py, false, |core| core.rescind(&offer_id, now))
    }

    /// A status update (`mesos.v1.TaskStatus` bytes).
    #[pyo3(signature = (status, now = None))]
    fn update<'py>(
        &self,
        py: Python<'py>,
        status: &[u8],
        now: Option<f64>,
    ) -> PyResult<PyOutput<'py>> {
        let now = self.now(now)?;
        let status: m::TaskStatus = decode("TaskStatus", status)?;
        self.run(py, false, |core| core.update(&status, now))
    }

    /// A whole `mesos.v1.scheduler.Event` (bytes): SUBSCRIBED, OFFERS, RESCIND, UPDATE and
    /// FAILURE are handled; other events produce nothing.
    #[pyo3(signature = (event, now = None))]
    fn event<'py>(
        &self,
        py: Python<'py>,
        event: &[u8],
        now: Option<f64>,
    ) -> PyResult<PyOutput<'py>> {
        let now = self.now(now)?;
        let e: Event = decode("scheduler Event", event)?;
        let heavy = e.r#type == Some(event::Type::Offers as i32);
        self.run(py, heavy, move |core| take_event(core, e, now))
    }

    /// Several `mesos.v1.scheduler.Event`s (bytes each), in order, as one input: one lock and
    /// one output for a burst of status updates.
    #[pyo3(signature = (events, now = None))]
    fn events<'py>(
        &self,
        py: Python<'py>,
        events: Vec<Vec<u8>>,
        now: Option<f64>,
    ) -> PyResult<PyOutput<'py>> {
        let now = self.now(now)?;
        let events = events
            .iter()
            .map(|b| decode::<Event>("scheduler Event", b))
            .collect::<Result<Vec<_>>>()?;
        let heavy = events
            .iter()
            .any(|e| e.r#type == Some(event::Type::Offers as i32));
        self.run(py, heavy, move |core| {
            let mut all = Output::default();
            for e in events {
                let out = take_event(core, e, now);
                all.ops.extend(out.ops);
                all.outcomes.extend(out.outcomes);
            }
            all
        })
    }

    /// Time passes: expiries, reconciliation, idle workers, placement of new work into held
    /// offers, REVIVE/SUPPRESS. Call it after submitting and every second or so.
    #[pyo3(signature = (now = None))]
    fn tick<'py>(&self, py: Python<'py>, now: Option<f64>) -> PyResult<PyOutput<'py>> {
        let now = self.now(now)?;
        self.run(py, true, |core| core.tick(now))
    }

    /// Kills a task (KeyError when it is not live).
    #[pyo3(signature = (task_id, now = None))]
    fn kill<'py>(
        &self,
        py: Python<'py>,
        task_id: String,
        now: Option<f64>,
    ) -> PyResult<PyOutput<'py>> {
        let now = self.now(now)?;
        let encoded = self.with(py, false, |core| {
            core.kill(&task_id, now).map(|out| encode(out, true))
        })?;
        match encoded {
            Some(e) => to_py(py, e),
            None => Err(PyKeyError::new_err(task_id)),
        }
    }

    /// SUBSCRIBED (every time): forgets offers, reconciles, re-establishes suppression.
    #[pyo3(signature = (now = None))]
    fn subscribed<'py>(&self, py: Python<'py>, now: Option<f64>) -> PyResult<PyOutput<'py>> {
        let now = self.now(now)?;
        self.run(py, false, |core| core.subscribed(now))
    }

    /// The subscription was lost: no calls until `subscribed`.
    fn disconnected(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, false, |core| core.disconnected())
    }

    /// The ACCEPT answering these offers could not be sent: its tasks queue again.
    #[pyo3(signature = (offer_ids, now = None))]
    fn launch_failed<'py>(
        &self,
        py: Python<'py>,
        offer_ids: Vec<String>,
        now: Option<f64>,
    ) -> PyResult<PyOutput<'py>> {
        let now = self.now(now)?;
        self.run(py, false, |core| core.launch_failed(&offer_ids, now))
    }

    /// An executor exited (FAILURE event with an executor id).
    fn executor_lost(&self, py: Python<'_>, agent_id: String, executor_id: String) -> PyResult<()> {
        self.with(py, false, |core| {
            core.executor_lost(&agent_id, &executor_id)
        })
    }

    /// The real total resources of an agent (`mesos.v1.Resource` bytes each).
    fn set_agent_total(
        &self,
        py: Python<'_>,
        agent_id: String,
        resources: Vec<Vec<u8>>,
    ) -> PyResult<()> {
        let resources = resources
            .iter()
            .map(|b| decode::<m::Resource>("Resource", b))
            .collect::<Result<Vec<_>>>()?;
        Ok(self.with(py, false, |core| {
            core.set_agent_total(&agent_id, &resources)
        })??)
    }

    /// Configures worker mode from a TaskInfo template (bytes).
    #[pyo3(signature = (template, idle_timeout = 60.0, max_failures = 5))]
    fn set_workers(
        &self,
        py: Python<'_>,
        template: &[u8],
        idle_timeout: f64,
        max_failures: u32,
    ) -> PyResult<()> {
        let template: m::TaskInfo = decode("TaskInfo", template)?;
        let idle = millis("idle_timeout", idle_timeout)?;
        Ok(self.with(py, false, |core| {
            core.set_workers(template, idle, max_failures)
        })??)
    }

    /// How many workers are wanted now.
    #[pyo3(signature = (n, now = None))]
    fn want_workers<'py>(
        &self,
        py: Python<'py>,
        n: usize,
        now: Option<f64>,
    ) -> PyResult<PyOutput<'py>> {
        let now = self.now(now)?;
        self.run(py, false, |core| core.want_workers(n, now))
    }

    /// A worker has no call in flight (since `now`); False for an unknown worker.
    #[pyo3(signature = (worker_id, now = None))]
    fn worker_idle(&self, py: Python<'_>, worker_id: String, now: Option<f64>) -> PyResult<bool> {
        let now = self.now(now)?;
        self.with(py, false, |core| core.worker_idle(&worker_id, now))
    }

    /// A worker has a call in flight; False for an unknown worker.
    fn worker_busy(&self, py: Python<'_>, worker_id: String) -> PyResult<bool> {
        self.with(py, false, |core| core.worker_busy(&worker_id))
    }

    /// The live state name of a task, None once it ended.
    fn state(&self, py: Python<'_>, task_id: String) -> PyResult<Option<&'static str>> {
        Ok(self
            .with(py, false, |core| core.state(&task_id))?
            .map(|s| s.as_str_name()))
    }

    /// True for a live worker id.
    fn is_worker(&self, py: Python<'_>, task_id: String) -> PyResult<bool> {
        self.with(py, false, |core| core.is_worker(&task_id))
    }

    /// Live per-call tasks by state name.
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let counts = self.with(py, false, |core| core.counts())?;
        let d = PyDict::new(py);
        for (state, n) in counts {
            d.set_item(state.as_str_name(), n)?;
        }
        Ok(d)
    }

    /// Live workers by state name.
    fn worker_counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let counts = self.with(py, false, |core| core.worker_counts())?;
        let d = PyDict::new(py);
        for (state, n) in counts {
            d.set_item(state.as_str_name(), n)?;
        }
        Ok(d)
    }

    /// Ended tasks by outcome (`finished`, `exception`, `failed`, `killed`, `error`) and the
    /// totals `submitted`, `launches`, `retries`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let stats = self.with(py, false, |core| core.stats().clone())?;
        let d = PyDict::new(py);
        for (name, n) in stats.ended_by_outcome() {
            d.set_item(name, n)?;
        }
        d.set_item("submitted", stats.submitted)?;
        d.set_item("launches", stats.launches)?;
        d.set_item("retries", stats.retries)?;
        Ok(d)
    }

    /// Live per-call tasks.
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, false, |core| core.len())
    }

    /// No per-call task is live.
    fn is_idle(&self, py: Python<'_>) -> PyResult<bool> {
        self.with(py, false, |core| core.is_empty())
    }

    /// Tasks (and workers) waiting for offers.
    #[getter]
    fn waiting(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, false, |core| core.waiting())
    }

    /// Offers held now.
    #[getter]
    fn held_offers(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, false, |core| core.held_offers())
    }

    /// Whether outputs include a "launched" outcome for every task placed (default True).
    #[getter]
    fn report_launches(&self) -> bool {
        self.report_launches.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_report_launches(&self, value: bool) {
        self.report_launches.store(value, Ordering::Relaxed);
    }

    /// Why worker mode gave up, or None.
    #[getter]
    fn workers_failed(&self, py: Python<'_>) -> PyResult<Option<String>> {
        self.with(py, false, |core| core.workers_failed().map(String::from))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySchedulerCore>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(key: &str, value: &str) -> m::Label {
        m::Label {
            key: key.into(),
            value: Some(value.into()),
        }
    }

    fn status(state: m::TaskState, labels: Vec<m::Label>, data: &[u8]) -> m::TaskStatus {
        m::TaskStatus {
            state: state as i32,
            labels: Some(m::Labels { labels }),
            data: Some(data.to_vec()),
            ..Default::default()
        }
    }

    #[test]
    fn attempts_map_to_the_submitted_id() {
        assert_eq!(submitted_id("t1"), "t1");
        assert_eq!(submitted_id("t1.retry2"), "t1");
        assert_eq!(submitted_id("a.retry.retry12"), "a.retry");
        assert_eq!(submitted_id("t1.retry"), "t1.retry");
        assert_eq!(submitted_id("t1.retryx"), "t1.retryx");
    }

    #[test]
    fn only_a_finished_python_status_with_its_result_inline_has_one() {
        let python = || label(PYTHON_LABEL, "");
        let ok = status(m::TaskState::TaskFinished, vec![python()], b"pickled");
        assert_eq!(inline_result(&ok), Some(&b"pickled"[..]));
        let url = status(
            m::TaskState::TaskFinished,
            vec![python(), label(PAYLOAD_LABEL, "url")],
            b"http://agent/files",
        );
        assert_eq!(inline_result(&url), None);
        let failed = status(m::TaskState::TaskFailed, vec![python()], b"pickled");
        assert_eq!(inline_result(&failed), None);
        let command = status(m::TaskState::TaskFinished, vec![], b"text");
        assert_eq!(inline_result(&command), None);
        let empty = status(m::TaskState::TaskFinished, vec![python()], b"");
        assert_eq!(inline_result(&empty), None);
    }
}
