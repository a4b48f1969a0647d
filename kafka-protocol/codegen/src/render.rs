//! Turns the model into Rust source.

use std::fmt::Write as _;

use crate::model::{Field, Kind, Spec, StructDef, Ty, OPEN};

/// Fields that carry credentials: SASL tokens (PLAIN sends the password in `AuthBytes`),
/// delegation-token HMACs and SCRAM salted passwords. Their Debug output is redacted.
const SENSITIVE_FIELDS: &[&str] = &["AuthBytes", "Hmac", "SaltedPassword"];

fn is_sensitive(f: &Field) -> bool {
    SENSITIVE_FIELDS.contains(&f.name.as_str())
}

/// Struct names that would shadow types the generated code uses.
const RESERVED: &[&str] =
    &["Bytes", "Default", "Message", "Option", "Request", "Result", "String", "Uuid", "Vec", "Self"];

/// Renders every file: `(file name, contents)`.
pub(crate) fn render_all(specs: &[Spec]) -> Result<Vec<(String, String)>, String> {
    let mut files = Vec::new();
    for spec in specs {
        for s in &spec.structs {
            if RESERVED.contains(&s.name.as_str()) {
                return Err(format!("{}: struct name {} is reserved", spec.file, s.name));
            }
        }
        files.push((format!("{}.rs", module_name(&spec.name)), render_spec(spec)));
    }
    files.push(("mod.rs".into(), render_mod(specs)?));
    Ok(files)
}

pub(crate) fn module_name(name: &str) -> String {
    snake(name)
}

/// `ThrottleTimeMs` -> `throttle_time_ms`; `ISRNodes` -> `isr_nodes`.
fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

const KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "crate", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while",
    "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro", "override",
    "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

fn field_ident(f: &Field) -> String {
    let s = snake(&f.name);
    if KEYWORDS.contains(&s.as_str()) {
        format!("r#{s}")
    } else {
        s
    }
}

fn setter_name(f: &Field) -> String {
    format!("with_{}", snake(&f.name))
}

fn is_nullable(f: &Field) -> bool {
    !f.nullable.is_empty()
}

fn elem_rust_ty(ty: &Ty) -> String {
    match ty {
        Ty::Bool => "bool".into(),
        Ty::I8 => "i8".into(),
        Ty::I16 => "i16".into(),
        Ty::U16 => "u16".into(),
        Ty::I32 => "i32".into(),
        Ty::U32 => "u32".into(),
        Ty::I64 => "i64".into(),
        Ty::F64 => "f64".into(),
        Ty::Str => "String".into(),
        Ty::Bytes | Ty::Records => "Bytes".into(),
        Ty::Uuid => "Uuid".into(),
        Ty::Struct(n) => n.clone(),
        Ty::Array(inner) => format!("Vec<{}>", elem_rust_ty(inner)),
    }
}

fn rust_ty(f: &Field) -> String {
    let base = elem_rust_ty(&f.ty);
    if is_nullable(f) {
        format!("Option<{base}>")
    } else {
        base
    }
}

fn parse_int(s: &str) -> Result<i128, String> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let v = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(hex, 16).map_err(|e| format!("bad default {s}: {e}"))?
    } else {
        body.parse::<i128>().map_err(|e| format!("bad default {s}: {e}"))?
    };
    Ok(if neg { -v } else { v })
}

/// The Rust expression for a field's default value.
fn default_expr(f: &Field) -> String {
    let d = f.default.as_deref();
    if d == Some("null") {
        return "None".into();
    }
    let base = match &f.ty {
        Ty::Bool => match d {
            Some(v) if v.eq_ignore_ascii_case("true") => "true".into(),
            _ => "false".into(),
        },
        Ty::I8 | Ty::I16 | Ty::U16 | Ty::I32 | Ty::U32 | Ty::I64 => {
            let v = d.map(parse_int).transpose().unwrap_or(Some(0)).unwrap_or(0);
            v.to_string()
        }
        Ty::F64 => match d {
            Some(v) => {
                let parsed: f64 = v.parse().unwrap_or(0.0);
                format!("{parsed:?}")
            }
            None => "0.0".into(),
        },
        Ty::Str => match d {
            Some(v) if !v.is_empty() => format!("String::from({v:?})"),
            _ => "String::new()".into(),
        },
        // Kafka's default for a records field is null.
        Ty::Records if is_nullable(f) => return "None".into(),
        Ty::Bytes | Ty::Records => "Bytes::new()".into(),
        Ty::Uuid => "Uuid::ZERO".into(),
        Ty::Struct(n) => format!("{n}::default()"),
        Ty::Array(_) => "Vec::new()".into(),
    };
    if is_nullable(f) {
        format!("Some({base})")
    } else {
        base
    }
}

/// A boolean expression that is true when the field differs from its default.
fn non_default_expr(f: &Field, this: &str) -> String {
    let id = field_ident(f);
    let d = default_expr(f);
    match (&f.ty, d.as_str()) {
        (_, "None") => format!("{this}.{id}.is_some()"),
        (Ty::Array(_), "Vec::new()") | (Ty::Str, "String::new()") | (Ty::Bytes, "Bytes::new()") => {
            format!("!{this}.{id}.is_empty()")
        }
        (Ty::F64, _) => format!("{this}.{id}.to_bits() != ({d}_f64).to_bits()"),
        _ => format!("{this}.{id} != {d}"),
    }
}

fn doc_type_words(ty: &Ty) -> String {
    match ty {
        Ty::Bool => "boolean".into(),
        Ty::I8 => "8-bit integer".into(),
        Ty::I16 => "16-bit integer".into(),
        Ty::U16 => "unsigned 16-bit integer".into(),
        Ty::I32 => "32-bit integer".into(),
        Ty::U32 => "unsigned 32-bit integer".into(),
        Ty::I64 => "64-bit integer".into(),
        Ty::F64 => "64-bit float".into(),
        Ty::Str => "string".into(),
        Ty::Bytes => "byte string".into(),
        Ty::Records => "record set (raw batches, decoded with `crate::records`)".into(),
        Ty::Uuid => "UUID".into(),
        Ty::Struct(n) => format!("[`{n}`]"),
        Ty::Array(inner) => format!("list of {}", doc_type_words(inner)),
    }
}

fn field_doc(f: &Field) -> String {
    let mut s = format!("Wire field `{}`: {}, sent in versions {}", f.name, doc_type_words(&f.ty), f.versions.describe());
    if let Some(tag) = f.tag {
        let _ = write!(s, " as tagged field {tag}");
    }
    s.push('.');
    if is_nullable(f) {
        let _ = write!(s, " May be null (`None`) in versions {}.", f.nullable.describe());
    }
    if let Some(d) = f.default.as_deref() {
        let _ = write!(s, " Defaults to {d}.");
    }
    if f.ignorable {
        s.push_str(" Silently left out when encoding a version that lacks it.");
    } else {
        s.push_str(" Encoding a non-default value in a version that lacks it is an error.");
    }
    s
}

/// Whether the struct can appear in a flexible version.
fn struct_flexible(spec: &Spec) -> bool {
    !spec.flexible.intersect(spec.valid).is_empty()
}

fn flexible_expr(spec: &Spec) -> String {
    spec.flexible.condition(spec.valid)
}

/// The compact-encoding flag for one field (honours the per-field override).
fn field_flex(spec: &Spec, f: &Field) -> String {
    match f.flexible_override {
        Some(v) => v.intersect(spec.valid).condition(spec.valid),
        None => "flexible".into(),
    }
}

fn render_spec(spec: &Spec) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// @generated by kafka-protocol-codegen from {}. DO NOT EDIT.",
        spec.file
    );
    let what = match spec.kind {
        Kind::Request => format!("request body of API key {}", spec.api_key.unwrap_or(-1)),
        Kind::Response => format!("response body of API key {}", spec.api_key.unwrap_or(-1)),
        Kind::Header => "message header".to_string(),
        Kind::Data => "data schema (not sent as a request or response on its own)".to_string(),
    };
    let _ = writeln!(out, "//! `{}`: the {what}.", spec.name);
    let _ = writeln!(out, "//!");
    let _ = writeln!(
        out,
        "//! Versions {}; flexible (compact encodings and tagged fields) in {}.",
        spec.valid.describe(),
        spec.flexible.intersect(spec.valid).describe()
    );
    if spec.unstable_latest {
        let _ = writeln!(
            out,
            "//! The highest version is not final in Kafka yet; clients do not pick it by default."
        );
    }
    if !spec.deprecated.is_empty() {
        let d = spec.deprecated.describe();
        let verb = if d.contains(['-', '+']) { "Versions" } else { "Version" };
        let are = if verb == "Versions" { "are" } else { "is" };
        let _ = writeln!(out, "//! {verb} {d} {are} deprecated by Kafka.");
    }
    out.push('\n');
    out.push_str("#![allow(clippy::all, clippy::pedantic, unused_mut, unused_imports, unused_variables)]\n\n");
    out.push_str("use bytes::{BufMut, Bytes};\n\n");
    out.push_str("use crate::codec::{DecodeError, DecodeErrorKind, EncodeError, Message, RawTaggedField, Uuid, VersionRange};\n");
    out.push_str("use crate::wire::{self, FieldRef};\n\n");
    for s in &spec.structs {
        render_struct(&mut out, spec, s);
    }
    if spec.kind == Kind::Request {
        let max = spec.valid.0.map_or(0, |(_, hi)| hi);
        let stable = if spec.unstable_latest { max - 1 } else { max };
        let resp = spec.name.replace("Request", "Response");
        let key = api_variant(&spec.name);
        let _ = writeln!(
            out,
            "impl crate::codec::Request for {} {{\n    const KEY: crate::ApiKey = crate::ApiKey::{key};\n    type Response = super::{}::{resp};\n    const MAX_STABLE_VERSION: i16 = {stable};\n}}\n",
            spec.name,
            module_name(&resp),
        );
    }
    out
}

fn render_struct(out: &mut String, spec: &Spec, s: &StructDef) {
    let is_top = s.name == spec.name;
    let flexible_possible = struct_flexible(spec);
    let (vmin, vmax) = spec.valid.0.unwrap_or((0, 0));
    // ---- type
    if is_top {
        let _ = writeln!(out, "/// The `{}` {}.", spec.name, match spec.kind {
            Kind::Request => "request body",
            Kind::Response => "response body",
            Kind::Header => "header",
            Kind::Data => "data structure",
        });
    } else {
        let _ = writeln!(out, "/// A `{}` entry inside [`{}`].", s.name, spec.name);
    }
    out.push_str("///\n/// Build one with `Default::default()` and the `with_*` setters.\n");
    let redact = s.fields.iter().any(is_sensitive);
    if redact {
        out.push_str("/// Its `Debug` output hides credential fields.\n");
        out.push_str("#[derive(Clone, PartialEq)]\n#[non_exhaustive]\n");
    } else {
        out.push_str("#[derive(Clone, Debug, PartialEq)]\n#[non_exhaustive]\n");
    }
    let _ = writeln!(out, "pub struct {} {{", s.name);
    for f in &s.fields {
        let _ = writeln!(out, "    /// {}", field_doc(f));
        let _ = writeln!(out, "    pub {}: {},", field_ident(f), rust_ty(f));
    }
    if flexible_possible {
        out.push_str("    /// Tagged fields with tags this crate does not know, kept so re-encoding preserves them.\n");
        out.push_str("    pub unknown_tagged_fields: Vec<RawTaggedField>,\n");
    }
    out.push_str("}\n\n");

    if redact {
        let _ = writeln!(out, "impl std::fmt::Debug for {} {{", s.name);
        out.push_str("    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n");
        let _ = writeln!(out, "        f.debug_struct({:?})", s.name);
        for f in &s.fields {
            let id = field_ident(f);
            let shown = id.trim_start_matches("r#");
            if is_sensitive(f) {
                let _ = writeln!(out, "            .field({shown:?}, &\"<redacted>\")");
            } else {
                let _ = writeln!(out, "            .field({shown:?}, &self.{id})");
            }
        }
        if flexible_possible {
            out.push_str("            .field(\"unknown_tagged_fields\", &self.unknown_tagged_fields)\n");
        }
        out.push_str("            .finish()\n    }\n}\n\n");
    }

    // ---- Default
    let _ = writeln!(out, "impl Default for {} {{\n    fn default() -> Self {{\n        Self {{", s.name);
    for f in &s.fields {
        let _ = writeln!(out, "            {}: {},", field_ident(f), default_expr(f));
    }
    if flexible_possible {
        out.push_str("            unknown_tagged_fields: Vec::new(),\n");
    }
    out.push_str("        }\n    }\n}\n\n");

    // ---- setters
    let _ = writeln!(out, "impl {} {{", s.name);
    for f in &s.fields {
        let _ = writeln!(out, "    /// Sets `{}` (wire field `{}`).", field_ident(f).trim_start_matches("r#"), f.name);
        let _ = writeln!(
            out,
            "    pub fn {}(mut self, value: {}) -> Self {{\n        self.{} = value;\n        self\n    }}",
            setter_name(f),
            rust_ty(f),
            field_ident(f)
        );
    }
    if flexible_possible {
        out.push_str("    /// Sets the unknown tagged fields to re-encode.\n");
        out.push_str("    pub fn with_unknown_tagged_fields(mut self, value: Vec<RawTaggedField>) -> Self {\n        self.unknown_tagged_fields = value;\n        self\n    }\n");
    }
    out.push_str("}\n\n");

    // ---- Message impl
    let _ = writeln!(out, "impl Message for {} {{", s.name);
    let _ = writeln!(out, "    const NAME: &'static str = {:?};", s.name);
    let _ = writeln!(out, "    const VERSIONS: VersionRange = VersionRange::new({vmin}, {vmax});\n");

    // encode
    out.push_str("    fn encode<B: BufMut>(&self, buf: &mut B, version: i16) -> Result<(), EncodeError> {\n");
    if is_top {
        out.push_str("        if !Self::VERSIONS.contains(version) {\n            return Err(EncodeError::UnsupportedVersion { message: Self::NAME, version, supported: Self::VERSIONS });\n        }\n");
    }
    let _ = writeln!(out, "        let flexible = {};", flexible_expr(spec));
    for f in s.fields.iter().filter(|f| f.tag.is_none()) {
        render_encode_field(out, spec, s, f);
    }
    for f in s.fields.iter().filter(|f| f.tag.is_some()) {
        // Tagged field outside its versions: same ignorable rule as regular fields.
        let present = tagged_present(spec, f);
        if !f.ignorable && present != "true" {
            let _ = writeln!(
                out,
                "        if !({present}) && {} {{\n            return Err(EncodeError::FieldNotInVersion {{ message: Self::NAME, field: {:?}, version }});\n        }}",
                non_default_expr(f, "self"),
                f.name
            );
        }
    }
    if flexible_possible {
        out.push_str("        if flexible {\n");
        render_encode_tagged(out, spec, s);
        out.push_str("        }\n");
    }
    out.push_str("        Ok(())\n    }\n\n");

    // decode
    out.push_str("    fn decode(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {\n");
    if is_top {
        out.push_str("        if !Self::VERSIONS.contains(version) {\n            return Err(DecodeError::new(DecodeErrorKind::UnsupportedVersion { version, supported: Self::VERSIONS }).in_message(Self::NAME, version));\n        }\n");
        out.push_str("        Self::decode_fields(buf, version).map_err(|e| e.in_message(Self::NAME, version))\n    }\n\n");
    } else {
        out.push_str("        Self::decode_fields(buf, version)\n    }\n\n");
    }

    // encoded_len
    out.push_str("    fn encoded_len(&self, version: i16) -> usize {\n");
    let _ = writeln!(out, "        let flexible = {};", flexible_expr(spec));
    out.push_str("        let mut len = 0usize;\n");
    for f in s.fields.iter().filter(|f| f.tag.is_none()) {
        let cond = f.versions.condition(spec.valid);
        if cond == "false" {
            continue;
        }
        let expr = field_len_expr(spec, f, "self");
        if cond == "true" {
            let _ = writeln!(out, "        len += {expr};");
        } else {
            let _ = writeln!(out, "        if {cond} {{\n            len += {expr};\n        }}");
        }
    }
    if flexible_possible {
        out.push_str("        if flexible {\n");
        render_len_tagged(out, spec, s);
        out.push_str("        }\n");
    }
    out.push_str("        len\n    }\n}\n\n");

    // decode_fields (inherent, so the top level can wrap errors with the message name)
    let _ = writeln!(out, "impl {} {{", s.name);
    out.push_str("    fn decode_fields(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {\n");
    let _ = writeln!(out, "        let flexible = {};", flexible_expr(spec));
    out.push_str("        let mut this = Self::default();\n");
    for f in s.fields.iter().filter(|f| f.tag.is_none()) {
        let cond = f.versions.condition(spec.valid);
        if cond == "false" {
            continue;
        }
        let read = field_read_expr(spec, f, "buf");
        let stmt = format!(
            "this.{} = {read}.map_err(|e| e.in_field({:?}))?;",
            field_ident(f),
            f.name
        );
        if cond == "true" {
            let _ = writeln!(out, "        {stmt}");
        } else {
            let _ = writeln!(out, "        if {cond} {{\n            {stmt}\n        }}");
        }
    }
    if flexible_possible {
        out.push_str("        if flexible {\n            let count = wire::read_tagged_count(buf)?;\n            for _ in 0..count {\n                let (tag, mut body) = wire::read_tagged_field(buf)?;\n                match tag {\n");
        let mut tagged: Vec<&Field> = s.fields.iter().filter(|f| f.tag.is_some()).collect();
        tagged.sort_by_key(|f| f.tag);
        for f in tagged {
            let present = tagged_present(spec, f);
            let guard = if present == "true" { String::new() } else { format!(" if {present}") };
            let read = field_read_expr(spec, f, "&mut body");
            let _ = writeln!(
                out,
                "                    {}{guard} => {{\n                        this.{} = {read}.map_err(|e| e.in_field({:?}))?;\n                        wire::expect_empty(&body).map_err(|e| e.in_field({:?}))?;\n                    }}",
                f.tag.unwrap_or(0),
                field_ident(f),
                f.name,
                f.name
            );
        }
        out.push_str("                    _ => this.unknown_tagged_fields.push(RawTaggedField { tag, data: body }),\n                }\n            }\n        }\n");
    }
    out.push_str("        Ok(this)\n    }\n}\n\n");

    // test-only random values
    render_arbitrary(out, spec, s);
}

fn tagged_present(spec: &Spec, f: &Field) -> String {
    f.versions.intersect(spec.flexible).condition(spec.valid)
}

fn render_encode_field(out: &mut String, spec: &Spec, s: &StructDef, f: &Field) {
    let cond = f.versions.condition(spec.valid);
    let body = field_write_stmts(spec, s, f, "self", "        ");
    if cond == "true" {
        out.push_str(&body);
        return;
    }
    if cond != "false" {
        let _ = writeln!(out, "        if {cond} {{");
        out.push_str(&indent(&body, "    "));
        out.push_str("        }");
    }
    if !f.ignorable {
        if cond == "false" {
            let _ = writeln!(
                out,
                "        if {} {{\n            return Err(EncodeError::FieldNotInVersion {{ message: Self::NAME, field: {:?}, version }});\n        }}",
                non_default_expr(f, "self"),
                f.name
            );
        } else {
            let _ = writeln!(
                out,
                " else if {} {{\n            return Err(EncodeError::FieldNotInVersion {{ message: Self::NAME, field: {:?}, version }});\n        }}",
                non_default_expr(f, "self"),
                f.name
            );
        }
    } else if cond != "false" {
        out.push('\n');
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| if l.is_empty() { "\n".to_string() } else { format!("{by}{l}\n") }).collect()
}

fn at_expr(f: &Field) -> String {
    format!("FieldRef {{ message: Self::NAME, field: {:?} }}", f.name)
}

/// Statements writing one field's value (the caller handles version presence).
fn field_write_stmts(spec: &Spec, _s: &StructDef, f: &Field, this: &str, ind: &str) -> String {
    let id = field_ident(f);
    let flex = field_flex(spec, f);
    let at = at_expr(f);
    if !is_nullable(f) {
        return value_write_stmts(&f.ty, &format!("&{this}.{id}"), &flex, &at, ind);
    }
    let null_cond = f.nullable.condition(spec.valid);
    let null_write = match &f.ty {
        Ty::Str => format!("wire::write_nullable_string(buf, None, {flex}, {at})?;"),
        Ty::Bytes | Ty::Records => format!("wire::write_nullable_bytes(buf, None, {flex}, {at})?;"),
        Ty::Array(_) => format!("wire::write_array_len(buf, None, {flex}, {at})?;"),
        Ty::Struct(_) => "buf.put_i8(-1);".to_string(),
        _ => unreachable!("checked by the model"),
    };
    let null_err = format!(
        "return Err(EncodeError::NullNotAllowed {{ message: Self::NAME, field: {:?}, version }});",
        f.name
    );
    let none_arm = match null_cond.as_str() {
        "true" => null_write,
        "false" => null_err,
        c => format!("if {c} {{ {null_write} }} else {{ {null_err} }}"),
    };
    let mut some_body = String::new();
    if matches!(f.ty, Ty::Struct(_)) {
        some_body.push_str(&format!("{ind}        buf.put_i8(1);\n"));
    }
    some_body.push_str(&value_write_stmts(&f.ty, "value", &flex, &at, &format!("{ind}        ")));
    format!(
        "{ind}match &{this}.{id} {{\n{ind}    Some(value) => {{\n{some_body}{ind}    }}\n{ind}    None => {{ {none_arm} }}\n{ind}}}\n"
    )
}

/// `*&self.x` -> `self.x`; `*value` stays.
fn deref(v: &str) -> String {
    match v.strip_prefix('&') {
        Some(place) => place.to_string(),
        None => format!("*{v}"),
    }
}

/// `(&self.x).len()` -> `self.x.len()`: method calls auto-deref.
fn place(v: &str) -> &str {
    v.strip_prefix('&').unwrap_or(v)
}

/// Statements writing a non-null value; `v` is an expression of type `&T`.
fn value_write_stmts(ty: &Ty, v: &str, flex: &str, at: &str, ind: &str) -> String {
    match ty {
        Ty::Bool => format!("{ind}wire::write_bool(buf, {});\n", deref(v)),
        Ty::I8 => format!("{ind}buf.put_i8({});\n", deref(v)),
        Ty::I16 => format!("{ind}buf.put_i16({});\n", deref(v)),
        Ty::U16 => format!("{ind}buf.put_u16({});\n", deref(v)),
        Ty::I32 => format!("{ind}buf.put_i32({});\n", deref(v)),
        Ty::U32 => format!("{ind}buf.put_u32({});\n", deref(v)),
        Ty::I64 => format!("{ind}buf.put_i64({});\n", deref(v)),
        Ty::F64 => format!("{ind}buf.put_f64({});\n", deref(v)),
        Ty::Uuid => format!("{ind}wire::write_uuid(buf, {v});\n"),
        Ty::Str => format!("{ind}wire::write_string(buf, {v}, {flex}, {at})?;\n"),
        Ty::Bytes | Ty::Records => format!("{ind}wire::write_bytes(buf, {v}, {flex}, {at})?;\n"),
        Ty::Struct(_) => format!("{ind}{}.encode(buf, version)?;\n", place(v)),
        Ty::Array(inner) => {
            let elem = value_write_stmts(inner, "item", flex, at, &format!("{ind}    "));
            format!(
                "{ind}wire::write_array_len(buf, Some({p}.len()), {flex}, {at})?;\n{ind}for item in {p}.iter() {{\n{elem}{ind}}}\n",
                p = place(v)
            )
        }
    }
}

/// Expression for the encoded size of one present field.
fn field_len_expr(spec: &Spec, f: &Field, this: &str) -> String {
    let id = field_ident(f);
    let flex = field_flex(spec, f);
    if !is_nullable(f) {
        return value_len_expr(&f.ty, &format!("&{this}.{id}"), &flex);
    }
    let null_len = match &f.ty {
        Ty::Str => format!("wire::nullable_string_len(None, {flex})"),
        Ty::Bytes | Ty::Records => format!("wire::nullable_bytes_len(None, {flex})"),
        Ty::Array(_) => format!("wire::array_len_len(None, {flex})"),
        Ty::Struct(_) => "1".to_string(),
        _ => unreachable!("checked by the model"),
    };
    let marker = if matches!(f.ty, Ty::Struct(_)) { "1 + " } else { "" };
    format!(
        "match &{this}.{id} {{ Some(value) => {marker}{}, None => {null_len} }}",
        value_len_expr(&f.ty, "value", &flex)
    )
}

fn fixed_size(ty: &Ty) -> Option<usize> {
    match ty {
        Ty::Bool | Ty::I8 => Some(1),
        Ty::I16 | Ty::U16 => Some(2),
        Ty::I32 | Ty::U32 => Some(4),
        Ty::I64 | Ty::F64 => Some(8),
        Ty::Uuid => Some(16),
        _ => None,
    }
}

/// Expression for the size of a non-null value; `v` has type `&T`.
fn value_len_expr(ty: &Ty, v: &str, flex: &str) -> String {
    if let Some(n) = fixed_size(ty) {
        return n.to_string();
    }
    match ty {
        Ty::Str => format!("wire::string_len({v}, {flex})"),
        Ty::Bytes | Ty::Records => format!("wire::nullable_bytes_len(Some({v}), {flex})"),
        Ty::Struct(_) => format!("{}.encoded_len(version)", place(v)),
        Ty::Array(inner) => {
            let p = place(v);
            let items = match fixed_size(inner) {
                Some(n) => format!("{p}.len() * {n}"),
                None => format!(
                    "{p}.iter().map(|item| {}).sum::<usize>()",
                    value_len_expr(inner, "item", flex)
                ),
            };
            format!("wire::array_len_len(Some({p}.len()), {flex}) + {items}")
        }
        _ => unreachable!("fixed sizes handled above"),
    }
}

/// Expression of type `Result<FieldType, DecodeError>` reading one present field from `b`.
fn field_read_expr(spec: &Spec, f: &Field, b: &str) -> String {
    let flex = field_flex(spec, f);
    if !is_nullable(f) {
        return value_read_expr(&f.ty, b, &flex);
    }
    let nullable_read = match &f.ty {
        Ty::Str => format!("wire::read_nullable_string({b}, {flex})"),
        Ty::Bytes | Ty::Records => format!("wire::read_nullable_bytes({b}, {flex})"),
        Ty::Array(inner) => format!(
            "wire::read_nullable_array({b}, {flex}, |b| {})",
            value_read_expr(inner, "b", &flex)
        ),
        Ty::Struct(n) => format!("wire::read_nullable_struct({b}, |b| {n}::decode(b, version))"),
        _ => unreachable!("checked by the model"),
    };
    let plain = format!("{}.map(Some)", value_read_expr(&f.ty, b, &flex));
    match f.nullable.condition(spec.valid).as_str() {
        "true" => nullable_read,
        "false" => plain,
        c => format!("(if {c} {{ {nullable_read} }} else {{ {plain} }})"),
    }
}

/// Expression of type `Result<T, DecodeError>` reading a non-null value from `b`.
fn value_read_expr(ty: &Ty, b: &str, flex: &str) -> String {
    match ty {
        Ty::Bool => format!("wire::read_bool({b})"),
        Ty::I8 => format!("wire::read_i8({b})"),
        Ty::I16 => format!("wire::read_i16({b})"),
        Ty::U16 => format!("wire::read_u16({b})"),
        Ty::I32 => format!("wire::read_i32({b})"),
        Ty::U32 => format!("wire::read_u32({b})"),
        Ty::I64 => format!("wire::read_i64({b})"),
        Ty::F64 => format!("wire::read_f64({b})"),
        Ty::Uuid => format!("wire::read_uuid({b})"),
        Ty::Str => format!("wire::read_string({b}, {flex})"),
        Ty::Bytes | Ty::Records => format!("wire::read_bytes({b}, {flex})"),
        Ty::Struct(n) => format!("{n}::decode({b}, version)"),
        Ty::Array(inner) => format!(
            "wire::read_array({b}, {flex}, |b| {})",
            value_read_expr(inner, "b", flex)
        ),
    }
}

fn render_encode_tagged(out: &mut String, spec: &Spec, s: &StructDef) {
    let mut tagged: Vec<&Field> = s.fields.iter().filter(|f| f.tag.is_some()).collect();
    tagged.sort_by_key(|f| f.tag);
    if tagged.is_empty() {
        out.push_str("            wire::write_unknown_tagged_fields(buf, &self.unknown_tagged_fields);\n");
        return;
    }
    // An unknown field whose tag equals a known, present tag is shadowed by the known field.
    let mut shadow = Vec::new();
    for f in &tagged {
        shadow.push(format!("(f.tag == {} && {})", f.tag.unwrap_or(0), tagged_present(spec, f)));
    }
    let _ = writeln!(
        out,
        "            let mut count = self.unknown_tagged_fields.iter().filter(|f| !({})).count();",
        shadow.join(" || ")
    );
    for f in &tagged {
        let _ = writeln!(
            out,
            "            if {} && {} {{\n                count += 1;\n            }}",
            tagged_present(spec, f),
            non_default_expr(f, "self")
        );
    }
    out.push_str("            wire::write_unsigned_varint(buf, count as u32);\n");
    out.push_str("            let mut from = 0u32;\n");
    for f in &tagged {
        let tag = f.tag.unwrap_or(0);
        let present = tagged_present(spec, f);
        let _ = writeln!(
            out,
            "            wire::write_unknown_tagged_range(buf, &self.unknown_tagged_fields, from, Some({tag}));"
        );
        let len = field_len_expr(spec, f, "self");
        let write = field_write_stmts(spec, s, f, "self", "                ");
        let _ = writeln!(
            out,
            "            if {present} && {} {{\n                wire::write_unsigned_varint(buf, {tag});\n                wire::write_unsigned_varint(buf, ({len}) as u32);\n{write}            }}",
            non_default_expr(f, "self")
        );
        let _ = writeln!(out, "            from = if {present} {{ {} }} else {{ {tag} }};", tag + 1);
    }
    out.push_str("            wire::write_unknown_tagged_range(buf, &self.unknown_tagged_fields, from, None);\n");
}

fn render_len_tagged(out: &mut String, spec: &Spec, s: &StructDef) {
    let mut tagged: Vec<&Field> = s.fields.iter().filter(|f| f.tag.is_some()).collect();
    tagged.sort_by_key(|f| f.tag);
    if tagged.is_empty() {
        out.push_str("            len += wire::unsigned_varint_len(self.unknown_tagged_fields.len() as u32) + wire::unknown_tagged_len(&self.unknown_tagged_fields);\n");
        return;
    }
    let mut shadow = Vec::new();
    for f in &tagged {
        shadow.push(format!("(f.tag == {} && {})", f.tag.unwrap_or(0), tagged_present(spec, f)));
    }
    let _ = writeln!(
        out,
        "            let kept: Vec<&RawTaggedField> = self.unknown_tagged_fields.iter().filter(|f| !({})).collect();",
        shadow.join(" || ")
    );
    out.push_str("            let mut count = kept.len();\n");
    out.push_str("            let mut body = kept.iter().map(|f| wire::tagged_field_len(f.tag, f.data.len())).sum::<usize>();\n");
    for f in &tagged {
        let len = field_len_expr(spec, f, "self");
        let _ = writeln!(
            out,
            "            if {} && {} {{\n                count += 1;\n                body += wire::tagged_field_len({}, {len});\n            }}",
            tagged_present(spec, f),
            non_default_expr(f, "self"),
            f.tag.unwrap_or(0)
        );
    }
    out.push_str("            len += wire::unsigned_varint_len(count as u32) + body;\n");
}

fn render_arbitrary(out: &mut String, spec: &Spec, s: &StructDef) {
    let _ = writeln!(out, "#[cfg(any(test, feature = \"arbitrary\"))]\nimpl crate::testing::Arbitrary for {} {{", s.name);
    out.push_str("    fn arbitrary(rng: &mut crate::testing::Rng, version: i16) -> Self {\n");
    let _ = writeln!(out, "        let flexible = {};", flexible_expr(spec));
    out.push_str("        let mut this = Self::default();\n");
    for f in &s.fields {
        let present = if f.tag.is_some() { tagged_present(spec, f) } else { f.versions.condition(spec.valid) };
        if present == "false" {
            continue;
        }
        let value = value_arbitrary_expr(&f.ty);
        let expr = if is_nullable(f) {
            let null_cond = f.nullable.condition(spec.valid);
            if null_cond == "false" {
                format!("Some({value})")
            } else {
                format!("if ({null_cond}) && rng.one_in(4) {{ None }} else {{ Some({value}) }}")
            }
        } else {
            value
        };
        let stmt = format!("this.{} = {expr};", field_ident(f));
        if present == "true" {
            let _ = writeln!(out, "        {stmt}");
        } else {
            let _ = writeln!(out, "        if {present} {{\n            {stmt}\n        }}");
        }
    }
    if struct_flexible(spec) {
        out.push_str("        if flexible {\n            this.unknown_tagged_fields = rng.unknown_tagged_fields();\n        }\n");
    } else {
        out.push_str("        let _ = flexible;\n");
    }
    out.push_str("        this\n    }\n}\n\n");
}

fn value_arbitrary_expr(ty: &Ty) -> String {
    match ty {
        Ty::Bool => "rng.bool()".into(),
        Ty::I8 => "rng.next() as i8".into(),
        Ty::I16 => "rng.next() as i16".into(),
        Ty::U16 => "rng.next() as u16".into(),
        Ty::I32 => "rng.next() as i32".into(),
        Ty::U32 => "rng.next() as u32".into(),
        Ty::I64 => "rng.next() as i64".into(),
        Ty::F64 => "rng.f64()".into(),
        Ty::Uuid => "rng.uuid()".into(),
        Ty::Str => "rng.string()".into(),
        Ty::Bytes | Ty::Records => "rng.bytes()".into(),
        Ty::Struct(n) => format!("<{n} as crate::testing::Arbitrary>::arbitrary(rng, version)"),
        Ty::Array(inner) => format!("rng.vec(|rng| {})", value_arbitrary_expr(inner)),
    }
}

/// `ProduceRequest` -> `Produce`.
fn api_variant(request_name: &str) -> String {
    request_name.trim_end_matches("Request").to_string()
}

fn render_mod(specs: &[Spec]) -> Result<String, String> {
    let mut out = String::new();
    out.push_str("// @generated by kafka-protocol-codegen from every JSON file it reads. DO NOT EDIT.\n");
    out.push_str("//! Every Kafka message this crate implements, one module per message definition.\n//!\n");
    out.push_str("//! The top-level type of each module is re-exported here; nested structs stay in their\n");
    out.push_str("//! module (`messages::fetch_request::FetchTopic`). [`ApiKey`] lists the APIs, and\n");
    out.push_str("//! [`RequestBody`] / [`ResponseBody`] decode and encode any of them by key.\n\n");
    out.push_str("#![allow(clippy::all, clippy::pedantic)]\n\n");
    out.push_str("use bytes::{BufMut, Bytes};\n\nuse crate::codec::{DecodeError, DecodeErrorKind, EncodeError, Message, VersionRange};\n\n");
    for spec in specs {
        let _ = writeln!(out, "pub mod {};", module_name(&spec.name));
    }
    out.push('\n');
    for spec in specs {
        let _ = writeln!(out, "pub use {}::{};", module_name(&spec.name), spec.name);
    }
    out.push('\n');

    let mut apis: Vec<(&Spec, &Spec)> = Vec::new();
    for req in specs.iter().filter(|s| s.kind == Kind::Request) {
        let resp_name = req.name.replace("Request", "Response");
        let resp = specs
            .iter()
            .find(|s| s.name == resp_name)
            .ok_or_else(|| format!("{} has no response", req.name))?;
        if resp.valid != req.valid {
            return Err(format!("{} and {resp_name} have different versions", req.name));
        }
        apis.push((req, resp));
    }
    apis.sort_by_key(|(r, _)| r.api_key);

    // ApiKey enum
    out.push_str("/// A Kafka API, by its request key.\n#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]\n#[non_exhaustive]\n#[repr(i16)]\npub enum ApiKey {\n");
    for (req, _) in &apis {
        let _ = writeln!(
            out,
            "    /// API key {}: `{}`, versions {}.",
            req.api_key.unwrap_or(-1),
            req.name,
            req.valid.describe()
        );
        let _ = writeln!(out, "    {} = {},", api_variant(&req.name), req.api_key.unwrap_or(-1));
    }
    out.push_str("}\n\n");
    out.push_str("impl ApiKey {\n");
    let _ = writeln!(out, "    /// Every API this crate implements, in key order.\n    pub const ALL: [ApiKey; {}] = [", apis.len());
    for (req, _) in &apis {
        let _ = writeln!(out, "        ApiKey::{},", api_variant(&req.name));
    }
    out.push_str("    ];\n\n");
    out.push_str("    /// The API for a wire key, if this crate implements it.\n    pub const fn from_i16(key: i16) -> Option<Self> {\n        match key {\n");
    for (req, _) in &apis {
        let _ = writeln!(out, "            {} => Some(ApiKey::{}),", req.api_key.unwrap_or(-1), api_variant(&req.name));
    }
    out.push_str("            _ => None,\n        }\n    }\n\n");
    out.push_str("    /// The wire key.\n    pub const fn key(self) -> i16 {\n        self as i16\n    }\n\n");
    out.push_str("    /// The API's name as Kafka spells it (`Produce`, `ApiVersions`).\n    pub const fn name(self) -> &'static str {\n        match self {\n");
    for (req, _) in &apis {
        let v = api_variant(&req.name);
        let _ = writeln!(out, "            ApiKey::{v} => {v:?},");
    }
    out.push_str("        }\n    }\n\n");
    out.push_str("    /// The versions this crate can encode and decode.\n    pub const fn versions(self) -> VersionRange {\n        match self {\n");
    for (req, _) in &apis {
        let (lo, hi) = req.valid.0.unwrap_or((0, 0));
        let _ = writeln!(out, "            ApiKey::{} => VersionRange::new({lo}, {hi}),", api_variant(&req.name));
    }
    out.push_str("        }\n    }\n\n");
    out.push_str("    /// The highest version a client uses by default: versions Kafka marks unstable are excluded.\n    pub const fn max_stable_version(self) -> i16 {\n        match self {\n");
    for (req, _) in &apis {
        let hi = req.valid.0.map_or(0, |(_, hi)| hi);
        let stable = if req.unstable_latest { hi - 1 } else { hi };
        let _ = writeln!(out, "            ApiKey::{} => {stable},", api_variant(&req.name));
    }
    out.push_str("        }\n    }\n\n");
    out.push_str("    /// Whether `version` of this API uses the flexible encoding (compact types, tagged fields).\n    pub const fn is_flexible(self, version: i16) -> bool {\n        match self {\n");
    for (req, _) in &apis {
        let cond = match req.flexible.0 {
            None => "false".to_string(),
            Some((lo, OPEN)) => format!("version >= {lo}"),
            Some((lo, hi)) => format!("version >= {lo} && version <= {hi}"),
        };
        let _ = writeln!(out, "            ApiKey::{} => {cond},", api_variant(&req.name));
    }
    out.push_str("        }\n    }\n\n");
    out.push_str("    /// The request header version for `version`: 2 when flexible, else 1.\n    pub const fn request_header_version(self, version: i16) -> i16 {\n        if self.is_flexible(version) { 2 } else { 1 }\n    }\n\n");
    out.push_str("    /// The response header version for `version`: 1 when flexible, else 0. ApiVersions\n    /// responses always use header v0 so a client can read them whatever version it sent.\n    pub const fn response_header_version(self, version: i16) -> i16 {\n        match self {\n            ApiKey::ApiVersions => 0,\n            _ => if self.is_flexible(version) { 1 } else { 0 },\n        }\n    }\n}\n\n");
    out.push_str("impl TryFrom<i16> for ApiKey {\n    type Error = DecodeError;\n\n    fn try_from(key: i16) -> Result<Self, DecodeError> {\n        Self::from_i16(key).ok_or_else(|| DecodeError::new(DecodeErrorKind::UnknownApiKey(key)))\n    }\n}\n\n");
    out.push_str("impl std::fmt::Display for ApiKey {\n    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {\n        f.write_str(self.name())\n    }\n}\n\n");

    for (which, idx) in [("RequestBody", 0usize), ("ResponseBody", 1usize)] {
        let noun = if idx == 0 { "request" } else { "response" };
        let _ = writeln!(out, "/// Any {noun} body, tagged by API.\n#[derive(Clone, Debug, PartialEq)]\n#[non_exhaustive]\npub enum {which} {{");
        for pair in &apis {
            let spec = if idx == 0 { pair.0 } else { pair.1 };
            let _ = writeln!(out, "    /// A `{}`.", spec.name);
            let _ = writeln!(out, "    {}({}),", api_variant(&pair.0.name), spec.name);
        }
        out.push_str("}\n\n");
        let _ = writeln!(out, "impl {which} {{");
        out.push_str("    /// The API this body belongs to.\n    pub fn api_key(&self) -> ApiKey {\n        match self {\n");
        for (req, _) in &apis {
            let v = api_variant(&req.name);
            let _ = writeln!(out, "            Self::{v}(_) => ApiKey::{v},");
        }
        out.push_str("        }\n    }\n\n");
        let _ = writeln!(out, "    /// Decodes a {noun} body of API `key` at `version` from the front of `buf`.");
        out.push_str("    pub fn decode(key: ApiKey, buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {\n        Ok(match key {\n");
        for pair in &apis {
            let spec = if idx == 0 { pair.0 } else { pair.1 };
            let v = api_variant(&pair.0.name);
            let _ = writeln!(out, "            ApiKey::{v} => Self::{v}({}::decode(buf, version)?),", spec.name);
        }
        out.push_str("        })\n    }\n\n");
        out.push_str("    /// Encodes the body at `version`.\n    pub fn encode<B: BufMut>(&self, buf: &mut B, version: i16) -> Result<(), EncodeError> {\n        match self {\n");
        for (req, _) in &apis {
            let _ = writeln!(out, "            Self::{}(m) => m.encode(buf, version),", api_variant(&req.name));
        }
        out.push_str("        }\n    }\n\n");
        out.push_str("    /// The exact encoded size at `version`.\n    pub fn encoded_len(&self, version: i16) -> usize {\n        match self {\n");
        for (req, _) in &apis {
            let _ = writeln!(out, "            Self::{}(m) => m.encoded_len(version),", api_variant(&req.name));
        }
        out.push_str("        }\n    }\n}\n\n");
        for pair in &apis {
            let spec = if idx == 0 { pair.0 } else { pair.1 };
            let _ = writeln!(
                out,
                "impl From<{}> for {which} {{\n    fn from(m: {}) -> Self {{\n        Self::{}(m)\n    }}\n}}\n",
                spec.name,
                spec.name,
                api_variant(&pair.0.name)
            );
        }
    }

    // Test support: a random request of any API (feature `arbitrary`, for fuzzing servers).
    out.push_str("/// A random request body of API `key` that is valid at `version` (test support).\n#[cfg(any(test, feature = \"arbitrary\"))]\npub(crate) fn arbitrary_request(key: ApiKey, rng: &mut crate::testing::Rng, version: i16) -> RequestBody {\n    match key {\n");
    for (req, _) in &apis {
        let v = api_variant(&req.name);
        let _ = writeln!(
            out,
            "        ApiKey::{v} => RequestBody::{v}(<{} as crate::testing::Arbitrary>::arbitrary(rng, version)),",
            req.name
        );
    }
    out.push_str("    }\n}\n\n");

    // Test support: a round-trip function per message.
    out.push_str("/// One round-trip check per generated message: `(name, versions, check(seed, version))`.\n#[cfg(test)]\npub(crate) fn round_trip_checks() -> Vec<(&'static str, VersionRange, fn(u64, i16) -> Result<Bytes, String>)> {\n    vec![\n");
    for spec in specs {
        let _ = writeln!(
            out,
            "        ({:?}, {}::VERSIONS, crate::testing::round_trip::<{}>),",
            spec.name, spec.name, spec.name
        );
    }
    out.push_str("    ]\n}\n");
    Ok(out)
}
