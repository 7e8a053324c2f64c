//! Saving and loading an [`Mlp`] (feature `serde`).
//!
//! A saved model is an [`MlpSpec`]: the architecture (layer sizes and
//! activations) and the parameters in the flat layout of
//! [`Mlp::parameters_f64`]. [`Mlp::to_json`] and [`Mlp::from_json`] write
//! and read it as JSON:
//!
//! ```json
//! {
//!   "format": "micrograd-mlp",
//!   "version": 1,
//!   "sizes": [2, 16, 16, 1],
//!   "activations": ["relu", "relu", "linear"],
//!   "parameters": [0.1234, ...]
//! }
//! ```
//!
//! `sizes` starts with the input count, then one size per layer;
//! `activations` has one name per layer (`tanh`, `relu`, `sigmoid`,
//! `linear`). Fields other than these five are ignored, so a file may
//! carry notes of its own.
//!
//! JSON, because a person can read it and every language can parse it;
//! `MlpSpec` is `Serialize + Deserialize`, so any other serde format
//! works through [`Mlp::to_spec`] and [`Mlp::from_spec`].
//!
//! Numbers are exact: serde_json writes the shortest digits that read back
//! to the same `f64`, and parses them exactly (its `float_roundtrip`
//! feature), so a loaded model predicts the same bits as the saved one.
//! JSON has no NaN or infinity: a model with a non-finite parameter (a
//! diverged training run) is refused on save with
//! [`ModelError::NonFinite`], which names the parameter, instead of being
//! written as `null` and failing on load; [`Mlp::from_spec`] refuses one
//! too, whatever format it came from.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Activation, Mlp};

/// A saved [`Mlp`]: the architecture and the parameters as plain data.
///
/// The fields are public so a model can be written by hand or by another
/// program; [`Mlp::from_spec`] checks them all.
///
/// ```
/// use micrograd_runtime::nn::{Activation, Mlp, MlpSpec};
/// // 1 -> 1 linear: y = 2x + 0.5
/// let spec = MlpSpec::new(1, &[(1, Activation::Linear)], vec![2.0, 0.5]);
/// let mlp = Mlp::from_spec(&spec).unwrap();
/// assert_eq!(mlp.predict(&[3.0]), [6.5]);
/// assert_eq!(mlp.to_spec().unwrap(), spec);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MlpSpec {
    /// Always [`MlpSpec::FORMAT`], `"micrograd-mlp"`.
    pub format: String,
    /// The layout's version, [`MlpSpec::VERSION`].
    pub version: u32,
    /// The input count, then each layer's number of neurons.
    pub sizes: Vec<usize>,
    /// Each layer's activation by name (`"tanh"`, `"relu"`, `"sigmoid"`,
    /// `"linear"`); one per layer, so one fewer than `sizes`.
    pub activations: Vec<String>,
    /// Every parameter in [`Mlp::parameters_f64`] order: layer by layer,
    /// neuron by neuron, weights in input order then the bias.
    pub parameters: Vec<f64>,
}

impl MlpSpec {
    /// The format tag every spec carries.
    pub const FORMAT: &'static str = "micrograd-mlp";
    /// The version of the layout this build writes and reads.
    pub const VERSION: u32 = 1;

    /// A spec for `nin` inputs and one layer per `(size, activation)`, as
    /// [`Mlp::new`] takes them, holding `parameters` (not checked here:
    /// [`Mlp::from_spec`] checks).
    pub fn new(nin: usize, layers: &[(usize, Activation)], parameters: Vec<f64>) -> MlpSpec {
        MlpSpec {
            format: MlpSpec::FORMAT.to_string(),
            version: MlpSpec::VERSION,
            sizes: std::iter::once(nin)
                .chain(layers.iter().map(|&(n, _)| n))
                .collect(),
            activations: layers.iter().map(|&(_, a)| a.name().to_string()).collect(),
            parameters,
        }
    }

    /// The input count and the layers, checked: everything but the
    /// parameters' values.
    fn architecture(&self) -> Result<(usize, Vec<(usize, Activation)>), ModelError> {
        if self.format != MlpSpec::FORMAT {
            return Err(ModelError::Format {
                found: Some(self.format.clone()),
            });
        }
        if self.version != MlpSpec::VERSION {
            return Err(ModelError::Version {
                found: Some(self.version.to_string()),
            });
        }
        let Some((&nin, sizes)) = self.sizes.split_first() else {
            return Err(ModelError::NoInputSize);
        };
        if sizes.len() != self.activations.len() {
            return Err(ModelError::Lengths {
                sizes: self.sizes.len(),
                activations: self.activations.len(),
            });
        }
        let layers = sizes
            .iter()
            .zip(&self.activations)
            .enumerate()
            .map(|(layer, (&n, name))| match name.parse::<Activation>() {
                Ok(act) => Ok((n, act)),
                Err(_) => Err(ModelError::Activation {
                    layer,
                    name: name.clone(),
                }),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((nin, layers))
    }
}

/// Why a model could not be saved or loaded. `Display` says what is wrong
/// in one lowercase sentence.
#[derive(Debug)]
#[non_exhaustive]
pub enum ModelError {
    /// The text is not JSON (a syntax error, or it ends too soon).
    NotJson(serde_json::Error),
    /// The text is JSON with the right tag but not shaped like a model: a
    /// field is missing or has the wrong type (a negative size, a string
    /// where a number belongs).
    Invalid(serde_json::Error),
    /// The `format` tag is missing (`None`) or is not `"micrograd-mlp"`.
    Format {
        /// The tag found.
        found: Option<String>,
    },
    /// The `version` is missing (`None`) or not one this build reads; the
    /// value found is shown as it was written.
    Version {
        /// The version found, as text.
        found: Option<String>,
    },
    /// `sizes` is empty: it must start with the input count.
    NoInputSize,
    /// `sizes` does not have one more entry than `activations`.
    Lengths {
        /// Entries in `sizes` (the input count and one per layer).
        sizes: usize,
        /// Entries in `activations` (one per layer).
        activations: usize,
    },
    /// An activation name that is not `tanh`, `relu`, `sigmoid` or `linear`.
    Activation {
        /// The layer, counting from 0 at the input side.
        layer: usize,
        /// The name found.
        name: String,
    },
    /// The number of parameters does not match the architecture.
    ParameterCount {
        /// What the architecture needs (`sum of nout * (nin + 1)`,
        /// saturating at `usize::MAX` for absurd sizes).
        expected: usize,
        /// What the spec holds.
        found: usize,
    },
    /// A parameter is NaN or infinite, which JSON cannot hold.
    NonFinite {
        /// Its position in the flat layout.
        index: usize,
        /// Its value.
        value: f64,
    },
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = MlpSpec::FORMAT;
        let version = MlpSpec::VERSION;
        match self {
            ModelError::NotJson(e) => write!(f, "not JSON: {e}"),
            ModelError::Invalid(e) => write!(f, "not a valid {format} model: {e}"),
            ModelError::Format { found: None } => {
                write!(f, "no format tag: expected \"format\": \"{format}\"")
            }
            ModelError::Format { found: Some(s) } => {
                write!(f, "format is {s:?}, expected \"{format}\"")
            }
            ModelError::Version { found: None } => {
                write!(f, "no version: expected \"version\": {version}")
            }
            ModelError::Version { found: Some(v) } => write!(
                f,
                "version {v} is not supported: this build reads version {version}"
            ),
            ModelError::NoInputSize => {
                f.write_str("sizes is empty: it must start with the input count")
            }
            ModelError::Lengths { sizes, activations } => write!(
                f,
                "sizes has {sizes} entries ({} layers after the input count) but \
                 activations has {activations}: one activation per layer",
                sizes.saturating_sub(1)
            ),
            ModelError::Activation { layer, name } => write!(
                f,
                "unknown activation {name:?} for layer {layer}; expected tanh, relu, sigmoid or linear"
            ),
            ModelError::ParameterCount { expected, found } => write!(
                f,
                "the architecture has {expected} parameters but {found} were given"
            ),
            ModelError::NonFinite { index, value } => write!(
                f,
                "parameter {index} is {value}: JSON has no NaN or infinity, so a model \
                 with non-finite parameters is not saved or loaded"
            ),
        }
    }
}

impl std::error::Error for ModelError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ModelError::NotJson(e) | ModelError::Invalid(e) => Some(e),
            _ => None,
        }
    }
}

fn check_finite(p: &[f64]) -> Result<(), ModelError> {
    match p.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(ModelError::NonFinite {
            index,
            value: p[index],
        }),
        None => Ok(()),
    }
}

impl Mlp {
    /// The architecture and the parameters' values as plain data.
    ///
    /// # Errors
    /// [`ModelError::NonFinite`] if a parameter is NaN or infinite.
    pub fn to_spec(&self) -> Result<MlpSpec, ModelError> {
        let p = self.parameters_f64();
        check_finite(&p)?;
        let layers: Vec<_> = self
            .layers()
            .iter()
            .map(|l| (l.nout(), l.activation()))
            .collect();
        Ok(MlpSpec::new(self.nin(), &layers, p))
    }

    /// A new network built from `spec`: fresh leaves outside any
    /// [`scope`](crate::scope) are what makes it last, so call it outside
    /// one (like [`Mlp::new`]). Its parameters are consecutive leaves, as
    /// in a network made by [`Mlp::new`], so it trains just as fast.
    ///
    /// # Errors
    /// A [`ModelError`] naming the first problem found: the format tag or
    /// version, `sizes` and `activations` of different lengths, an unknown
    /// activation, a parameter count that does not match (both counts
    /// named), or a non-finite parameter.
    pub fn from_spec(spec: &MlpSpec) -> Result<Mlp, ModelError> {
        let (nin, layers) = spec.architecture()?;
        let mut fan_in = nin;
        let expected = layers.iter().fold(0usize, |sum, &(nout, _)| {
            let n = nout.saturating_mul(fan_in.saturating_add(1));
            fan_in = nout;
            sum.saturating_add(n)
        });
        if expected != spec.parameters.len() {
            return Err(ModelError::ParameterCount {
                expected,
                found: spec.parameters.len(),
            });
        }
        check_finite(&spec.parameters)?;
        Ok(Mlp::from_parameters_f64(nin, &layers, &spec.parameters))
    }

    /// The model as JSON text (pretty-printed, one parameter per line),
    /// to write to a file; [`Mlp::from_json`] reads it back, to the bit.
    ///
    /// # Errors
    /// [`ModelError::NonFinite`] if a parameter is NaN or infinite.
    ///
    /// ```
    /// use micrograd_runtime::nn::Mlp;
    /// let mlp = Mlp::demo(2, &[4, 1], 0);
    /// let json = mlp.to_json().unwrap();
    /// assert!(json.contains(r#""activations": ["#));
    /// let loaded = Mlp::from_json(&json).unwrap();
    /// assert_eq!(loaded.predict(&[0.5, -0.5]), mlp.predict(&[0.5, -0.5]));
    /// ```
    pub fn to_json(&self) -> Result<String, ModelError> {
        let spec = self.to_spec()?;
        Ok(serde_json::to_string_pretty(&spec).expect("a spec of finite numbers is valid JSON"))
    }

    /// A new network read from JSON written by [`Mlp::to_json`] (or by
    /// hand, in the same layout). Call it outside any `scope`, as
    /// [`Mlp::from_spec`] says.
    ///
    /// # Errors
    /// A [`ModelError`] saying what is wrong: not JSON, the format tag or
    /// version, a missing or mistyped field, then everything
    /// [`Mlp::from_spec`] checks.
    ///
    /// ```
    /// use micrograd_runtime::nn::Mlp;
    /// let json = r#"{"format": "micrograd-mlp", "version": 1, "sizes": [1, 1],
    ///                "activations": ["linear"], "parameters": [2.0]}"#;
    /// let err = Mlp::from_json(json).unwrap_err();
    /// assert_eq!(err.to_string(), "the architecture has 2 parameters but 1 were given");
    /// ```
    pub fn from_json(json: &str) -> Result<Mlp, ModelError> {
        // The tag and the version first, so a file of another kind is
        // named as such rather than as a missing field.
        let value: serde_json::Value = serde_json::from_str(json).map_err(ModelError::NotJson)?;
        match value.get("format") {
            Some(serde_json::Value::String(s)) if s == MlpSpec::FORMAT => {}
            Some(serde_json::Value::String(s)) => {
                return Err(ModelError::Format {
                    found: Some(s.clone()),
                });
            }
            Some(other) => {
                return Err(ModelError::Format {
                    found: Some(other.to_string()),
                });
            }
            None => return Err(ModelError::Format { found: None }),
        }
        match value.get("version") {
            Some(v) if v.as_u64() == Some(MlpSpec::VERSION.into()) => {}
            found => {
                return Err(ModelError::Version {
                    found: found.map(|v| v.to_string()),
                });
            }
        }
        let spec: MlpSpec = serde_json::from_value(value).map_err(ModelError::Invalid)?;
        Mlp::from_spec(&spec)
    }
}
