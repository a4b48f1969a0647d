//! Reads the JSON definitions into a checked model.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// An inclusive version range; `None` means "no versions".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Versions(pub(crate) Option<(i16, i16)>);

pub(crate) const OPEN: i16 = i16::MAX;

impl Versions {
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s == "none" {
            return Ok(Self(None));
        }
        if let Some(lo) = s.strip_suffix('+') {
            let lo = lo.trim().parse().map_err(|_| format!("bad version range {s:?}"))?;
            return Ok(Self(Some((lo, OPEN))));
        }
        if let Some((lo, hi)) = s.split_once('-') {
            let lo = lo.trim().parse().map_err(|_| format!("bad version range {s:?}"))?;
            let hi = hi.trim().parse().map_err(|_| format!("bad version range {s:?}"))?;
            return Ok(Self(Some((lo, hi))));
        }
        let v = s.parse().map_err(|_| format!("bad version range {s:?}"))?;
        Ok(Self(Some((v, v))))
    }

    pub(crate) fn intersect(self, other: Self) -> Self {
        match (self.0, other.0) {
            (Some((a, b)), Some((c, d))) => {
                let lo = a.max(c);
                let hi = b.min(d);
                Self((lo <= hi).then_some((lo, hi)))
            }
            _ => Self(None),
        }
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0.is_none()
    }

    /// Human text: "3+", "0-2", "5", "none".
    pub(crate) fn describe(self) -> String {
        match self.0 {
            None => "none".into(),
            Some((lo, OPEN)) => format!("{lo}+"),
            Some((lo, hi)) if lo == hi => format!("{lo}"),
            Some((lo, hi)) => format!("{lo}-{hi}"),
        }
    }

    /// A Rust boolean expression testing `version` against this range, simplified by knowing
    /// that `version` already lies within `within`.
    pub(crate) fn condition(self, within: Self) -> String {
        let Some((lo, hi)) = self.intersect(within).0 else { return "false".into() };
        let (wlo, whi) = within.0.unwrap_or((0, OPEN));
        let lo_needed = lo > wlo;
        let hi_needed = hi < whi;
        match (lo_needed, hi_needed) {
            (false, false) => "true".into(),
            (true, false) => format!("version >= {lo}"),
            (false, true) => format!("version <= {hi}"),
            (true, true) if lo == hi => format!("version == {lo}"),
            (true, true) => format!("({lo}..={hi}).contains(&version)"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Bool,
    I8,
    I16,
    U16,
    I32,
    U32,
    I64,
    F64,
    Str,
    Bytes,
    Records,
    Uuid,
    Struct(String),
    Array(Box<Ty>),
}

impl Ty {
    fn parse(s: &str) -> Result<Self, String> {
        if let Some(inner) = s.strip_prefix("[]") {
            return Ok(Self::Array(Box::new(Self::parse(inner)?)));
        }
        Ok(match s {
            "bool" => Self::Bool,
            "int8" => Self::I8,
            "int16" => Self::I16,
            "uint16" => Self::U16,
            "int32" => Self::I32,
            "uint32" => Self::U32,
            "int64" => Self::I64,
            "float64" => Self::F64,
            "string" => Self::Str,
            "bytes" => Self::Bytes,
            "records" => Self::Records,
            "uuid" => Self::Uuid,
            other if other.chars().next().is_some_and(char::is_uppercase) => {
                Self::Struct(other.to_string())
            }
            other => return Err(format!("unknown type {other:?}")),
        })
    }

}

#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub(crate) name: String,
    pub(crate) ty: Ty,
    pub(crate) versions: Versions,
    pub(crate) nullable: Versions,
    pub(crate) tag: Option<u32>,
    pub(crate) ignorable: bool,
    pub(crate) default: Option<String>,
    /// A per-field override of the message's flexible versions.
    pub(crate) flexible_override: Option<Versions>,
}

#[derive(Clone, Debug)]
pub(crate) struct StructDef {
    pub(crate) name: String,
    pub(crate) fields: Vec<Field>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Request,
    Response,
    Header,
    Data,
}

#[derive(Clone, Debug)]
pub(crate) struct Spec {
    pub(crate) file: String,
    pub(crate) name: String,
    pub(crate) kind: Kind,
    pub(crate) api_key: Option<i16>,
    pub(crate) valid: Versions,
    pub(crate) flexible: Versions,
    pub(crate) unstable_latest: bool,
    pub(crate) deprecated: Versions,
    pub(crate) listeners: Vec<String>,
    /// The top-level struct (named after the message) first, then every nested struct.
    pub(crate) structs: Vec<StructDef>,
}

/// Strips whole-line `//` comments (the only kind these files use).
fn strip_comments(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn load_dir(dir: &Path) -> Result<Vec<Spec>, String> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    let mut all = BTreeMap::new();
    for path in &names {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let json: Value = serde_json::from_str(&strip_comments(&text))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or_default().to_string();
        let spec = parse_spec(&file, &json).map_err(|e| format!("{file}: {e}"))?;
        all.insert(spec.name.clone(), spec);
    }
    // Keep broker-served APIs (and their responses), headers and data schemas.
    let broker_keys: Vec<i16> = all
        .values()
        .filter(|s| s.kind == Kind::Request && s.listeners.iter().any(|l| l == "broker"))
        .filter_map(|s| s.api_key)
        .collect();
    let specs: Vec<Spec> = all
        .into_values()
        .filter(|s| match s.kind {
            Kind::Header | Kind::Data => true,
            Kind::Request | Kind::Response => s.api_key.is_some_and(|k| broker_keys.contains(&k)),
        })
        .collect();
    Ok(specs)
}

fn str_field<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v.get(key).and_then(Value::as_str).ok_or_else(|| format!("missing string {key:?}"))
}

fn parse_spec(file: &str, json: &Value) -> Result<Spec, String> {
    let name = str_field(json, "name")?.to_string();
    let kind = match str_field(json, "type")? {
        "request" => Kind::Request,
        "response" => Kind::Response,
        "header" => Kind::Header,
        "data" => Kind::Data,
        other => return Err(format!("unknown message type {other}")),
    };
    let api_key = json.get("apiKey").and_then(Value::as_i64).map(|k| k as i16);
    let valid = Versions::parse(str_field(json, "validVersions")?)?;
    let flexible = Versions::parse(str_field(json, "flexibleVersions")?)?;
    let deprecated = match json.get("deprecatedVersions").and_then(Value::as_str) {
        Some(s) => Versions::parse(s)?,
        None => Versions(None),
    };
    let unstable_latest =
        json.get("latestVersionUnstable").and_then(Value::as_bool).unwrap_or(false);
    let listeners = json
        .get("listeners")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_default();

    let mut structs: Vec<StructDef> = Vec::new();
    // Common structs first, so references resolve; they can appear in every valid version.
    let mut common = Vec::new();
    for cs in json.get("commonStructs").and_then(Value::as_array).into_iter().flatten() {
        let cs_name = str_field(cs, "name")?.to_string();
        let fields = parse_fields(cs, valid, &mut structs)?;
        common.push(StructDef { name: cs_name, fields });
    }
    let top_fields = parse_fields(json, valid, &mut structs)?;
    let mut all = vec![StructDef { name: name.clone(), fields: top_fields }];
    all.extend(common);
    all.extend(structs);
    // A struct referenced by name only must be defined somewhere in the file.
    let defined: Vec<String> = all.iter().map(|s| s.name.clone()).collect();
    for s in &all {
        for f in &s.fields {
            let mut t = &f.ty;
            while let Ty::Array(inner) = t {
                t = inner;
            }
            if let Ty::Struct(n) = t {
                if !defined.contains(n) {
                    return Err(format!("struct {n} referenced by {}.{} is not defined", s.name, f.name));
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for s in &all {
        if !seen.insert(s.name.clone()) {
            return Err(format!("struct {} defined twice", s.name));
        }
    }
    Ok(Spec {
        file: file.to_string(),
        name,
        kind,
        api_key,
        valid,
        flexible,
        unstable_latest,
        deprecated,
        listeners,
        structs: all,
    })
}

fn parse_fields(parent: &Value, within: Versions, structs: &mut Vec<StructDef>) -> Result<Vec<Field>, String> {
    let mut out = Vec::new();
    for f in parent.get("fields").and_then(Value::as_array).into_iter().flatten() {
        let name = str_field(f, "name")?.to_string();
        let ty = Ty::parse(str_field(f, "type")?)?;
        let versions = Versions::parse(str_field(f, "versions")?)?;
        let nullable = match f.get("nullableVersions").and_then(Value::as_str) {
            Some(s) => Versions::parse(s)?,
            None => Versions(None),
        };
        let tag = f.get("tag").and_then(Value::as_u64).map(|t| t as u32);
        if tag.is_some() {
            let tagged = Versions::parse(str_field(f, "taggedVersions")?)?;
            if tagged != versions {
                return Err(format!("field {name}: taggedVersions differ from versions"));
            }
        }
        let ignorable = f.get("ignorable").and_then(Value::as_bool).unwrap_or(false);
        let default = match f.get("default") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Bool(b)) => Some(b.to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(other) => return Err(format!("field {name}: unsupported default {other}")),
        };
        let flexible_override = match f.get("flexibleVersions").and_then(Value::as_str) {
            Some(s) => Some(Versions::parse(s)?),
            None => None,
        };
        if !nullable.is_empty() {
            let ok = matches!(ty, Ty::Str | Ty::Bytes | Ty::Records | Ty::Array(_) | Ty::Struct(_));
            if !ok {
                return Err(format!("field {name}: type {ty:?} cannot be nullable"));
            }
        }
        if default.as_deref() == Some("null") && nullable.is_empty() {
            return Err(format!("field {name}: null default on a non-nullable field"));
        }
        let field_versions = versions.intersect(within);
        if let Some(nested) = f.get("fields") {
            let mut t = &ty;
            while let Ty::Array(inner) = t {
                t = inner;
            }
            let Ty::Struct(struct_name) = t else {
                return Err(format!("field {name} has nested fields but type {ty:?}"));
            };
            let fields = parse_fields(f, field_versions, structs)?;
            let _ = nested;
            structs.push(StructDef { name: struct_name.clone(), fields });
        }
        out.push(Field { name, ty, versions, nullable, tag, ignorable, default, flexible_override });
    }
    Ok(out)
}
