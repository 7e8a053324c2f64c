//! Saving and loading an `Mlp` (feature `serde`, on for the workspace's
//! tests through the facade's dev-dependency): round trips to the bit, a
//! model from given weights, each error with its message, and a model
//! trained for a few SGD steps.

use micrograd::nn::{Activation, Init, Mlp, MlpSpec, ModelError};
use micrograd::{Value, loss, scope};

/// Inputs that reach every region of a small relu/tanh net.
fn probes() -> Vec<[f64; 2]> {
    let mut xs = Vec::new();
    for i in -4..=4 {
        for j in -4..=4 {
            xs.push([f64::from(i) * 0.37, f64::from(j) * 0.61]);
        }
    }
    xs
}

fn assert_same_predictions(a: &Mlp, b: &Mlp) {
    for x in probes() {
        let (ya, yb) = (a.predict(&x), b.predict(&x));
        // Exact equality is the point: a loaded model is the same model.
        let bits = |y: &[f64]| y.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&ya), bits(&yb), "at {x:?}");
    }
}

fn bits(p: &[f64]) -> Vec<u64> {
    p.iter().map(|v| v.to_bits()).collect()
}

fn spec_json(sizes: &str, activations: &str, parameters: &str) -> String {
    format!(
        r#"{{"format": "micrograd-mlp", "version": 1, "sizes": {sizes},
            "activations": {activations}, "parameters": {parameters}}}"#
    )
}

fn load_err(json: &str) -> ModelError {
    Mlp::from_json(json).expect_err("this file must be refused")
}

#[test]
fn json_round_trip_is_bit_identical() {
    for mlp in [
        Mlp::demo(2, &[16, 16, 1], 7),
        Mlp::lecture(2, &[4, 4, 1], 3),
        Mlp::new(
            2,
            &[(3, Activation::Sigmoid), (2, Activation::Tanh)],
            Init::seeded(1),
        ),
    ] {
        let json = mlp.to_json().unwrap();
        let loaded = Mlp::from_json(&json).unwrap();
        assert_eq!(loaded.to_string(), mlp.to_string());
        assert_eq!(bits(&loaded.parameters_f64()), bits(&mlp.parameters_f64()));
        assert_same_predictions(&mlp, &loaded);
        // Saving the loaded model writes the same text.
        assert_eq!(loaded.to_json().unwrap(), json);
    }
}

#[test]
fn the_file_holds_the_architecture() {
    let mlp = Mlp::demo(2, &[16, 16, 1], 0);
    let json = mlp.to_json().unwrap();
    assert!(json.starts_with("{\n  \"format\": \"micrograd-mlp\",\n  \"version\": 1,"));
    let spec = mlp.to_spec().unwrap();
    assert_eq!(spec.sizes, [2, 16, 16, 1]);
    assert_eq!(spec.activations, ["relu", "relu", "linear"]);
    assert_eq!(bits(&spec.parameters), bits(&mlp.parameters_f64()));
    assert_eq!(spec.parameters.len(), 337);
}

#[test]
fn awkward_floats_survive_exactly() {
    // Shortest round-trip digits and exact parsing: subnormals, the
    // extremes, -0.0 and a sum with a long expansion all come back.
    let p = [
        -0.0,
        f64::MIN_POSITIVE,
        5e-324, // the smallest subnormal
        f64::MAX,
        f64::MIN,
        0.1 + 0.2,
        1.0 / 3.0,
        -2.0f64.powi(-1074 + 60),
        9007199254740993.0, // 2^53 + 1 rounds to 2^53
    ];
    // 8 inputs -> 1 linear neuron: 9 parameters.
    let mlp = Mlp::from_parameters_f64(8, &[(1, Activation::Linear)], &p);
    let loaded = Mlp::from_json(&mlp.to_json().unwrap()).unwrap();
    assert_eq!(bits(&loaded.parameters_f64()), bits(&p));
    assert!(loaded.parameters_f64()[0].is_sign_negative());
}

#[test]
fn a_model_from_given_weights() {
    // 2 -> 2 relu -> 1 linear, by hand:
    // h0 = relu(x0 + x1), h1 = relu(x0 - x1 - 1), y = 2 h0 - h1 + 0.5
    let layers = [(2, Activation::Relu), (1, Activation::Linear)];
    let p = [1.0, 1.0, 0.0, 1.0, -1.0, -1.0, 2.0, -1.0, 0.5];
    let mlp = Mlp::from_parameters_f64(2, &layers, &p);
    assert_eq!(mlp.predict(&[3.0, 1.0]), [2.0 * 4.0 - 1.0 + 0.5]);
    assert_eq!(mlp.predict(&[-1.0, -1.0]), [0.5]);

    // The same through a spec and through hand-written JSON.
    let spec = MlpSpec::new(2, &layers, p.to_vec());
    let from_spec = Mlp::from_spec(&spec).unwrap();
    let json = spec_json(
        "[2, 2, 1]",
        r#"["relu", "linear"]"#,
        "[1, 1, 0, 1, -1, -1, 2, -1, 0.5]", // integers are numbers too
    );
    let from_json = Mlp::from_json(&json).unwrap();
    assert_same_predictions(&mlp, &from_spec);
    assert_same_predictions(&mlp, &from_json);
    assert_eq!(from_json.to_spec().unwrap(), spec);
}

#[test]
#[should_panic(expected = "has 9 parameters, got a slice of 8")]
fn from_parameters_f64_names_both_lengths() {
    let layers = [(2, Activation::Relu), (1, Activation::Linear)];
    Mlp::from_parameters_f64(2, &layers, &[0.0; 8]);
}

#[test]
fn not_json() {
    let e = load_err("{\"format\": ");
    assert!(matches!(e, ModelError::NotJson(_)));
    assert!(
        e.to_string().starts_with("not JSON: EOF while parsing"),
        "{e}"
    );
}

#[test]
fn wrong_or_missing_format_tag() {
    let e = load_err(r#"{"format": "onnx", "version": 1}"#);
    assert_eq!(
        e.to_string(),
        r#"format is "onnx", expected "micrograd-mlp""#
    );
    let e = load_err(r#"{"sizes": [1, 1]}"#);
    assert_eq!(
        e.to_string(),
        r#"no format tag: expected "format": "micrograd-mlp""#
    );
    let e = load_err("[1, 2, 3]");
    assert!(matches!(e, ModelError::Format { found: None }));
}

#[test]
fn unsupported_or_missing_version() {
    let e = load_err(r#"{"format": "micrograd-mlp", "version": 2}"#);
    assert_eq!(
        e.to_string(),
        "version 2 is not supported: this build reads version 1"
    );
    let e = load_err(r#"{"format": "micrograd-mlp"}"#);
    assert_eq!(e.to_string(), r#"no version: expected "version": 1"#);
    // Through a spec, from any format, too.
    let mut spec = Mlp::demo(1, &[1], 0).to_spec().unwrap();
    spec.version = 3;
    let e = Mlp::from_spec(&spec).unwrap_err();
    assert_eq!(
        e.to_string(),
        "version 3 is not supported: this build reads version 1"
    );
}

#[test]
fn a_missing_or_mistyped_field() {
    let e = load_err(r#"{"format": "micrograd-mlp", "version": 1, "sizes": [1, 1]}"#);
    assert!(matches!(e, ModelError::Invalid(_)));
    assert!(
        e.to_string()
            .starts_with("not a valid micrograd-mlp model: missing field `activations`"),
        "{e}"
    );
    let e = load_err(&spec_json("[1, -1]", r#"["linear"]"#, "[0, 0]"));
    assert!(
        e.to_string()
            .starts_with("not a valid micrograd-mlp model: invalid value: integer `-1`"),
        "{e}"
    );
}

#[test]
fn sizes_and_activations_of_different_lengths() {
    let e = load_err(&spec_json("[2, 16, 16, 1]", r#"["relu", "linear"]"#, "[]"));
    assert_eq!(
        e.to_string(),
        "sizes has 4 entries (3 layers after the input count) but activations has 2: \
         one activation per layer"
    );
    let e = load_err(&spec_json("[]", "[]", "[]"));
    assert_eq!(
        e.to_string(),
        "sizes is empty: it must start with the input count"
    );
}

#[test]
fn an_unknown_activation() {
    let e = load_err(&spec_json("[2, 3, 1]", r#"["relu", "softmax"]"#, "[]"));
    assert_eq!(
        e.to_string(),
        r#"unknown activation "softmax" for layer 1; expected tanh, relu, sigmoid or linear"#
    );
}

#[test]
fn a_parameter_count_that_does_not_match_names_both_counts() {
    // 2 -> 3 relu -> 1 linear: 3 * (2 + 1) + 1 * (3 + 1) = 13.
    let e = load_err(&spec_json(
        "[2, 3, 1]",
        r#"["relu", "linear"]"#,
        "[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]",
    ));
    assert!(matches!(
        e,
        ModelError::ParameterCount {
            expected: 13,
            found: 12
        }
    ));
    assert_eq!(
        e.to_string(),
        "the architecture has 13 parameters but 12 were given"
    );
    // Absurd sizes are a count mismatch too, not an allocation.
    let e = load_err(&spec_json(
        "[18446744073709551615, 18446744073709551615]",
        r#"["linear"]"#,
        "[]",
    ));
    assert!(
        matches!(
            e,
            ModelError::ParameterCount {
                expected: usize::MAX,
                found: 0
            }
        ),
        "{e}"
    );
}

#[test]
fn non_finite_parameters_are_refused_on_save_and_on_load() {
    // JSON has no NaN or infinity: saving would write `null` and fail on
    // load, so the save is refused, naming the parameter.
    let mlp = Mlp::demo(2, &[2, 1], 0);
    let mut p = mlp.parameters_f64();
    p[4] = f64::NAN;
    mlp.set_parameters_f64(&p);
    let e = mlp.to_json().unwrap_err();
    assert!(matches!(e, ModelError::NonFinite { index: 4, .. }));
    assert_eq!(
        e.to_string(),
        "parameter 4 is NaN: JSON has no NaN or infinity, so a model with \
         non-finite parameters is not saved or loaded"
    );
    p[4] = f64::NEG_INFINITY;
    mlp.set_parameters_f64(&p);
    assert!(
        mlp.to_spec()
            .unwrap_err()
            .to_string()
            .starts_with("parameter 4 is -inf")
    );

    // A spec from another serde format may hold them: refused on load too.
    let spec = MlpSpec::new(1, &[(1, Activation::Linear)], vec![1.0, f64::INFINITY]);
    let e = Mlp::from_spec(&spec).unwrap_err();
    assert!(e.to_string().starts_with("parameter 1 is inf"), "{e}");
    // And JSON text cannot spell them.
    let e = load_err(&spec_json("[1, 1]", r#"["linear"]"#, "[1, NaN]"));
    assert!(matches!(e, ModelError::NotJson(_)), "{e}");
}

#[test]
fn a_trained_model_reloads_to_the_bit() {
    let mlp = Mlp::demo(2, &[8, 8, 1], 42);
    let xs = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    let ys = [-1.0, 1.0, 1.0, -1.0];
    let params = mlp.parameters();
    for _ in 0..20 {
        scope(|| {
            mlp.zero_grad();
            let scores: Vec<Value> = xs.iter().map(|x| mlp.forward_f64(x)[0]).collect();
            let loss = loss::squared_error_mean(&scores, &ys);
            loss.backward();
            for p in &params {
                p.set_data(p.data() - 0.05 * p.grad());
            }
        });
    }
    let json = mlp.to_json().unwrap();
    let loaded = Mlp::from_json(&json).unwrap();
    assert_same_predictions(&mlp, &loaded);
    // The loaded model trains on like the original: one more step on each
    // gives the same parameters again.
    for m in [&mlp, &loaded] {
        scope(|| {
            m.zero_grad();
            let scores: Vec<Value> = xs.iter().map(|x| m.forward_f64(x)[0]).collect();
            loss::squared_error_mean(&scores, &ys).backward();
            for p in m.parameters() {
                p.set_data(p.data() - 0.05 * p.grad());
            }
        });
    }
    assert_eq!(bits(&loaded.parameters_f64()), bits(&mlp.parameters_f64()));
}

#[test]
fn random_bit_patterns_survive_exactly() {
    // Any finite f64 at all, drawn as raw bits: 20 inputs -> 500 linear
    // neurons is 10,500 parameters.
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(14);
    let p: Vec<f64> = std::iter::repeat_with(|| f64::from_bits(rng.random::<u64>()))
        .filter(|v| v.is_finite())
        .take(500 * 21)
        .collect();
    let mlp = Mlp::from_parameters_f64(20, &[(500, Activation::Linear)], &p);
    let loaded = Mlp::from_json(&mlp.to_json().unwrap()).unwrap();
    assert_eq!(bits(&loaded.parameters_f64()), bits(&p));
}
