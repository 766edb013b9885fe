//! Bindings of the bin-packing core (`crate::binpack`) as `satyr._satyr.binpack_*` functions;
//! `satyr.binpack` builds the user-facing API on top of them.

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;

use crate::binpack::{self, portfolio, Method, Packing, Problem, Vectors, Weights};
use crate::Error;

/// Bin of every item (or None) and the order items were handled in.
type Placement = (Vec<Option<usize>>, Vec<usize>);

/// Row-major floats read from a sequence of sequences or a 2-D buffer of doubles.
struct Rows {
    /// `None` when there are no rows to tell.
    dims: Option<usize>,
    values: Vec<f64>,
}

fn read_rows(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Rows> {
    if let Ok(buf) = PyBuffer::<f64>::get(obj) {
        if buf.dimensions() != 2 {
            return Err(Error::InvalidArgument(format!(
                "{what}: expected a 2-D buffer (rows x dimensions), got {} dimensions",
                buf.dimensions()
            ))
            .into());
        }
        let (rows, dims) = (buf.shape()[0], buf.shape()[1]);
        let values = buf.to_vec(obj.py())?;
        return Ok(Rows {
            dims: (rows > 0).then_some(dims),
            values,
        });
    }
    let rows: Vec<Vec<f64>> = obj.extract().map_err(|_| {
        Error::InvalidArgument(format!("{what}: expected a sequence of numeric vectors"))
    })?;
    let dims = rows.first().map(Vec::len);
    let mut values = Vec::with_capacity(rows.len() * dims.unwrap_or(0));
    for (i, row) in rows.iter().enumerate() {
        if Some(row.len()) != dims {
            return Err(Error::InvalidArgument(format!(
                "{what}: row {i} has {} values, expected {}",
                row.len(),
                dims.unwrap_or(0)
            ))
            .into());
        }
        values.extend_from_slice(row);
    }
    Ok(Rows { dims, values })
}

/// Builds the problem; `min_dims` covers dimensions named by weights when there are no rows.
fn problem(
    items: &Bound<'_, PyAny>,
    capacities: &Bound<'_, PyAny>,
    min_dims: usize,
) -> PyResult<Problem> {
    let items = read_rows(items, "items")?;
    let bins = read_rows(capacities, "capacities")?;
    let dims = match (items.dims, bins.dims) {
        (Some(a), Some(b)) if a != b => {
            return Err(Error::InvalidArgument(format!(
                "items have {a} dimensions but capacities have {b}"
            ))
            .into())
        }
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => min_dims.max(1),
    };
    Ok(Problem::new(
        Vectors::from_f64(dims, &items.values)?,
        Vectors::from_f64(dims, &bins.values)?,
    )?)
}

fn weights(terms: Option<Vec<(usize, f64)>>, dims: usize) -> PyResult<Option<Weights>> {
    Ok(terms.map(|t| Weights::new(t, dims)).transpose()?)
}

fn max_dim(terms: &Option<Vec<(usize, f64)>>) -> usize {
    terms.iter().flatten().map(|t| t.0 + 1).max().unwrap_or(0)
}

/// Runs one heuristic; returns (bin of every item or None, processing order). Without
/// weights, the weighted satyr heuristics weigh every dimension 1.
#[pyfunction]
#[pyo3(signature = (method, items, capacities, weights=None))]
fn binpack_pack(
    py: Python<'_>,
    method: &str,
    items: &Bound<'_, PyAny>,
    capacities: &Bound<'_, PyAny>,
    weights: Option<Vec<(usize, f64)>>,
) -> PyResult<Placement> {
    let method = Method::from_name(method)?;
    let problem = problem(items, capacities, max_dim(&weights))?;
    let weights = self::weights(weights, problem.dims())?.or_else(|| {
        method
            .uses_weights()
            .then(|| Weights::uniform(problem.dims()))
    });
    let Packing { assignment, order } =
        py.detach(|| binpack::pack(method, &problem, weights.as_ref()))?;
    Ok((assignment, order))
}

/// Runs a portfolio; returns (winning method, (bin of every item or None, processing order)).
#[pyfunction]
#[pyo3(signature = (methods, items, capacities, weights=None))]
fn binpack_best(
    py: Python<'_>,
    methods: Vec<String>,
    items: &Bound<'_, PyAny>,
    capacities: &Bound<'_, PyAny>,
    weights: Option<Vec<(usize, f64)>>,
) -> PyResult<(&'static str, Placement)> {
    let methods = methods
        .iter()
        .map(|m| Method::from_name(m))
        .collect::<Result<Vec<_>, _>>()?;
    let problem = problem(items, capacities, max_dim(&weights))?;
    let weights = self::weights(weights, problem.dims())?;
    let (method, Packing { assignment, order }) =
        py.detach(|| portfolio::best(&problem, &methods, weights.as_ref()))?;
    Ok((method.name(), (assignment, order)))
}

/// satyr's weight formula over rows of quantities.
#[pyfunction]
fn binpack_weight(rows: &Bound<'_, PyAny>, weights: Vec<(usize, f64)>) -> PyResult<Vec<f64>> {
    let rows = read_rows(rows, "items")?;
    let dims = rows
        .dims
        .unwrap_or(1)
        .max(weights.iter().map(|t| t.0 + 1).max().unwrap_or(0));
    let vectors = Vectors::from_f64(dims, &rows.values)?;
    let weights = Weights::new(weights, dims)?;
    Ok(binpack::weight::weigh(
        vectors.data(),
        dims,
        weights.terms(),
    ))
}

/// Names of every heuristic, in the portfolio's tie-breaking order.
#[pyfunction]
fn binpack_methods() -> Vec<&'static str> {
    Method::ALL.iter().map(|m| m.name()).collect()
}

/// Names of the portfolio's default members, in tie-breaking order.
#[pyfunction]
fn binpack_portfolio() -> Vec<&'static str> {
    portfolio::DEFAULT.iter().map(|m| m.name()).collect()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(binpack_pack, m)?)?;
    m.add_function(wrap_pyfunction!(binpack_best, m)?)?;
    m.add_function(wrap_pyfunction!(binpack_weight, m)?)?;
    m.add_function(wrap_pyfunction!(binpack_methods, m)?)?;
    m.add_function(wrap_pyfunction!(binpack_portfolio, m)?)?;
    Ok(())
}
