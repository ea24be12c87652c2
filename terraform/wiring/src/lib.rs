//! Reads docproc's Terraform as plain HCL so tests can check how the modules
//! are wired together. `terraform validate` would need the AWS provider,
//! which cannot be downloaded where these tests run.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate};
use hcl::{Block, Body, Expression, Map, Value};

pub type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// The `terraform/` directory, located from this crate rather than the
/// working directory so the tests run from anywhere.
pub fn terraform_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in terraform/wiring")
        .to_path_buf()
}

/// All `.tf` files of one directory, the way Terraform sees a module.
pub struct Module {
    pub name: String,
    pub dir: PathBuf,
    blocks: Vec<Block>,
}

impl Module {
    pub fn load(dir: &Path) -> Result<Self> {
        let mut paths: Vec<_> = fs::read_dir(dir)?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<std::io::Result<_>>()?;
        paths.retain(|p| p.extension().is_some_and(|ext| ext == "tf"));
        paths.sort();
        let mut blocks = Vec::new();
        for path in &paths {
            let body = hcl::parse(&fs::read_to_string(path)?)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            blocks.extend(body.into_blocks());
        }
        if blocks.is_empty() {
            return Err(format!("no Terraform blocks in {}", dir.display()).into());
        }
        let name = dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        Ok(Self {
            name,
            dir: dir.to_path_buf(),
            blocks,
        })
    }

    /// The child module a `module` block of this module points at.
    pub fn child(&self, call: &Block) -> Result<Self> {
        let source = attr(call.body(), "source")
            .map(Expression::to_string)
            .ok_or("module block without source")?;
        Self::load(&self.dir.join(source.trim_matches('"')))
    }

    /// Top-level blocks such as `resource`, `module` or `output`, whose leading
    /// labels equal `labels`.
    pub fn blocks<'s>(
        &'s self,
        kind: &str,
        labels: &[&str],
    ) -> impl Iterator<Item = &'s Block> + use<'s> {
        let kind = kind.to_owned();
        let labels: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        self.blocks.iter().filter(move |b| {
            b.identifier() == kind
                && labels
                    .iter()
                    .zip(b.labels())
                    .all(|(want, got)| got.as_str() == want)
        })
    }

    pub fn block(&self, kind: &str, labels: &[&str]) -> Result<&Block> {
        self.blocks(kind, labels)
            .next()
            .ok_or_else(|| format!("{}: no {kind} {labels:?}", self.name).into())
    }

    pub fn locals(&self) -> impl Iterator<Item = (&str, &Expression)> {
        self.blocks("locals", &[])
            .flat_map(|b| b.body().attributes())
            .map(|a| (a.key(), a.expr()))
    }

    /// `var.*` as Terraform would see it: declared defaults, overridden by
    /// `inputs`. Defaults that are not constants are left out.
    pub fn variables(&self, inputs: &Map<String, Value>) -> Map<String, Value> {
        let empty = Context::new();
        let mut vars: Map<String, Value> = self
            .blocks("variable", &[])
            .filter_map(|b| {
                let default = attr(b.body(), "default")?.evaluate(&empty).ok()?;
                Some((b.labels()[0].as_str().to_owned(), default))
            })
            .collect();
        vars.extend(inputs.iter().map(|(k, v)| (k.clone(), v.clone())));
        vars
    }

    /// A context with `var` and whatever `local` values can be computed from
    /// it; locals needing functions or resources stay undefined.
    pub fn context(&self, vars: Map<String, Value>) -> Context<'static> {
        let mut locals = Map::new();
        // Locals may refer to each other in any order; stop once a pass adds nothing.
        loop {
            let ctx = context_of(&vars, &locals);
            let found: Vec<_> = self
                .locals()
                .filter(|(k, _)| !locals.contains_key(*k))
                .filter_map(|(k, e)| Some((k.to_owned(), e.evaluate(&ctx).ok()?)))
                .collect();
            if found.is_empty() {
                return ctx;
            }
            locals.extend(found);
        }
    }
}

fn context_of(vars: &Map<String, Value>, locals: &Map<String, Value>) -> Context<'static> {
    let mut ctx = Context::new();
    declare_functions(&mut ctx);
    ctx.declare_var("var", Value::Object(vars.clone()));
    ctx.declare_var("local", Value::Object(locals.clone()));
    ctx
}

pub fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

/// The first nested block called `kind`, e.g. `vpc_config` in a function.
pub fn nested<'a>(body: &'a Body, kind: &str) -> Option<&'a Body> {
    body.blocks()
        .find(|b| b.identifier() == kind)
        .map(Block::body)
}

/// An attribute's expression as HCL source, for comparing references.
pub fn attr_text(body: &Body, key: &str) -> Option<String> {
    attr(body, key).map(Expression::to_string)
}

/// Literal values compare by meaning, whatever their formatting.
pub fn constant(body: &Body, key: &str) -> Option<Value> {
    attr(body, key)?.evaluate(&Context::new()).ok()
}

/// Explicit dependencies; implicit ones through references are not enough
/// where the dependency carries no value (a wait).
pub fn depends_on(body: &Body) -> Vec<String> {
    match attr(body, "depends_on") {
        Some(Expression::Array(items)) => items.iter().map(Expression::to_string).collect(),
        _ => Vec::new(),
    }
}

/// Module arguments of a `module` block that evaluate in `ctx` (those
/// referring to other modules' outputs do not).
pub fn module_inputs(call: &Block, ctx: &Context) -> Map<String, Value> {
    call.body()
        .attributes()
        .filter(|a| {
            !matches!(
                a.key(),
                "source" | "count" | "for_each" | "depends_on" | "providers"
            )
        })
        .filter_map(|a| Some((a.key().to_owned(), a.expr().evaluate(ctx).ok()?)))
        .collect()
}

/// The few Terraform functions the modules' locals and conditions use, as Terraform
/// defines them.
fn declare_functions(ctx: &mut Context) {
    use hcl::eval::{FuncArgs, FuncDef, ParamType};
    fn text(args: &FuncArgs, i: usize) -> &str {
        args[i].as_str().unwrap_or_default()
    }
    ctx.declare_func(
        "coalesce",
        FuncDef::builder()
            .variadic_param(ParamType::Any)
            .build(|args| {
                args.variadic_args()
                    .find(|v| !v.is_null() && v.as_str() != Some(""))
                    .cloned()
                    .ok_or_else(|| "coalesce: no non-null, non-empty argument".to_owned())
            }),
    );
    ctx.declare_func(
        "trim",
        FuncDef::builder()
            .params([ParamType::String, ParamType::String])
            .build(|args| {
                let cut: Vec<char> = text(&args, 1).chars().collect();
                Ok(Value::from(text(&args, 0).trim_matches(cut.as_slice())))
            }),
    );
    ctx.declare_func(
        "startswith",
        FuncDef::builder()
            .params([ParamType::String, ParamType::String])
            .build(|args| Ok(Value::Bool(text(&args, 0).starts_with(text(&args, 1))))),
    );
}
