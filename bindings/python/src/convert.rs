//! JSON values to Python objects and back: the records the common crate
//! returns become dicts, lists, str, int, float, bool and None; inputs may
//! also use tuples and `datetime.date` (sent as ISO dates).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Value};

/// A Python object for `v`.
pub fn to_py(py: Python<'_>, v: &Value) -> PyResult<PyObject> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any().unbind()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any().unbind()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any().unbind()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(a) => {
            let list = PyList::empty(py);
            for x in a {
                list.append(to_py(py, x)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(m) => {
            let dict = PyDict::new(py);
            for (k, x) in m {
                dict.set_item(k, to_py(py, x)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

/// The JSON value of a Python input (dicts with str keys, lists, tuples,
/// str, int, float, bool, None, dates).
pub fn from_py(o: &Bound<'_, PyAny>) -> PyResult<Value> {
    if o.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = o.downcast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if o.is_instance_of::<PyInt>() {
        return Ok(match o.extract::<i64>() {
            Ok(i) => Value::from(i),
            Err(_) => Value::from(o.extract::<u64>()?),
        });
    }
    if let Ok(f) = o.downcast::<PyFloat>() {
        return Ok(Value::from(f.value()));
    }
    if o.is_instance_of::<PyString>() {
        return Ok(Value::String(o.extract()?));
    }
    if let Ok(d) = o.downcast::<PyDict>() {
        let mut map = Map::new();
        for (k, x) in d.iter() {
            let key: String = k.extract().map_err(|_| PyTypeError::new_err("dictionary keys must be strings"))?;
            map.insert(key, from_py(&x)?);
        }
        return Ok(Value::Object(map));
    }
    if o.is_instance_of::<PyList>() || o.is_instance_of::<PyTuple>() {
        return o.try_iter()?.map(|x| from_py(&x?)).collect::<PyResult<Vec<_>>>().map(Value::Array);
    }
    if o.hasattr("isoformat")? {
        return Ok(Value::String(o.call_method0("isoformat")?.extract()?));
    }
    Err(PyTypeError::new_err(format!("cannot convert {} to a CertWatch value", o.get_type().name()?)))
}

/// `(name, value)` pairs of a mapping of headers (a dict, Flask's or
/// http.server's header objects: anything with `.items()`).
pub fn header_pairs(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    headers.call_method0("items")?.try_iter()?.map(|kv| kv?.extract::<(String, String)>()).collect()
}
