//! The schema path: one `jsonschema` validator per record type, compiled from the schema the
//! model generates, used to explain a record that the typed models rejected.

use crate::codes::Code;
use chatport_model::RecordType;
use chatport_model::schema::record_type_schema;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;
use std::sync::OnceLock;

/// One schema violation, mapped to a code.
#[derive(Debug, Clone)]
pub(crate) struct SchemaIssue {
    pub code: Code,
    pub pointer: String,
    pub schema_path: String,
    pub message: String,
}

/// The compiled validators, one per record type.
pub struct SchemaSet {
    validators: Vec<(RecordType, Validator)>,
}

impl SchemaSet {
    /// The validators, compiled once per process.
    pub fn get() -> &'static SchemaSet {
        static SET: OnceLock<SchemaSet> = OnceLock::new();
        SET.get_or_init(|| {
            let validators = RecordType::ALL
                .into_iter()
                .map(|t| {
                    let schema = record_type_schema(t);
                    let v = jsonschema::draft202012::options()
                        .offline()
                        .build(&schema)
                        .unwrap_or_else(|e| {
                            panic!("the generated {t} schema does not compile: {e}")
                        });
                    (t, v)
                })
                .collect();
            SchemaSet { validators }
        })
    }

    fn validator(&self, t: RecordType) -> &Validator {
        // `validators` holds every record type, in `RecordType::ALL` order.
        &self.validators[t as usize].1
    }

    /// True when `v` is a valid record of type `t` by the schema alone.
    pub fn is_valid(&self, t: RecordType, v: &Value) -> bool {
        self.validator(t).is_valid(v)
    }

    /// Every violation of the schema for `t`, mapped to codes, at most `cap`.
    pub(crate) fn issues(&self, t: RecordType, v: &Value, cap: usize) -> Vec<SchemaIssue> {
        let mut out = Vec::new();
        for e in self.validator(t).iter_errors(v) {
            flatten(&e, &mut out);
            if out.len() >= cap {
                out.truncate(cap);
                break;
            }
        }
        out
    }
}

fn flatten(e: &ValidationError<'_>, out: &mut Vec<SchemaIssue>) {
    let pointer = e.instance_path().to_string();
    let schema_path = e.schema_path().to_string();
    let push = |out: &mut Vec<SchemaIssue>, code, message: String| {
        out.push(SchemaIssue {
            code,
            pointer: pointer.clone(),
            schema_path: schema_path.clone(),
            message,
        })
    };
    match e.kind() {
        ValidationErrorKind::Type { .. } => push(out, Code::SchemaType, e.to_string()),
        ValidationErrorKind::Required { property } => push(
            out,
            Code::SchemaRequired,
            format!("required field {property} is missing"),
        ),
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            for u in unexpected {
                out.push(SchemaIssue {
                    code: Code::SchemaUnknownField,
                    pointer: format!("{pointer}/{}", u.replace('~', "~0").replace('/', "~1")),
                    schema_path: schema_path.clone(),
                    message: format!(
                        "unknown field `{u}` (platform data belongs under `extensions`)"
                    ),
                });
            }
        }
        ValidationErrorKind::Enum { .. } | ValidationErrorKind::Constant { .. } => {
            push(out, Code::SchemaEnum, e.to_string())
        }
        ValidationErrorKind::Minimum { .. }
        | ValidationErrorKind::Maximum { .. }
        | ValidationErrorKind::ExclusiveMinimum { .. }
        | ValidationErrorKind::ExclusiveMaximum { .. }
        | ValidationErrorKind::MinLength { .. }
        | ValidationErrorKind::MaxLength { .. }
        | ValidationErrorKind::MinItems { .. }
        | ValidationErrorKind::MaxItems { .. } => push(out, Code::SchemaRange, e.to_string()),
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            // An enum is a `oneOf` of constants: report the allowed values.
            let consts: Vec<String> = context
                .iter()
                .flat_map(|branch| branch.iter())
                .filter_map(|b| match b.kind() {
                    ValidationErrorKind::Constant { expected_value } => {
                        Some(expected_value.to_string())
                    }
                    _ => None,
                })
                .collect();
            if !consts.is_empty() && context.iter().all(|b| !b.is_empty()) {
                let got = e.instance().to_string();
                let got: String = got.chars().take(60).collect();
                push(
                    out,
                    Code::SchemaEnum,
                    format!(
                        "{got} is not one of the allowed values: {}",
                        consts.join(", ")
                    ),
                );
                return;
            }
            // An optional object is `anyOf [object, null]`: explain the branch that got furthest,
            // the one whose errors are not just "wrong type" at this very place.
            let best = context
                .iter()
                .filter(|branch| !branch.is_empty())
                .min_by_key(|branch| {
                    branch
                        .iter()
                        .filter(|b| {
                            matches!(b.kind(), ValidationErrorKind::Type { .. })
                                && b.instance_path().to_string() == pointer
                        })
                        .count()
                });
            match best {
                Some(branch) => branch.iter().for_each(|b| flatten(b, out)),
                None => push(out, Code::SchemaOther, e.to_string()),
            }
        }
        _ => push(out, Code::SchemaOther, e.to_string()),
    }
}
