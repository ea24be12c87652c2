//! Cross-module invariants of terraform/ that neither `terraform fmt` nor
//! checkov can see: each module is fine alone, the mistakes live in how the
//! root wires them.

use std::fs;

use docproc_terraform_wiring::{
    Module, Result, attr, attr_text, constant, depends_on, module_inputs, nested, terraform_dir,
};
use hcl::eval::Evaluate;
use hcl::{Block, Map, Value};

/// The root module, plus lookups across the modules it calls.
struct Root {
    module: Module,
}

impl Root {
    fn load() -> Result<Self> {
        Ok(Self {
            module: Module::load(&terraform_dir())?,
        })
    }

    fn calls(&self) -> impl Iterator<Item = &Block> {
        self.module.blocks("module", &[])
    }

    fn child(&self, call: &Block) -> Result<Module> {
        self.module.child(call)
    }

    /// The module call whose child declares `resource_type`.
    fn call_with(&self, resource_type: &str) -> Result<(&Block, Module)> {
        for call in self.calls() {
            let child = self.child(call)?;
            if child.blocks("resource", &[resource_type]).next().is_some() {
                return Ok((call, child));
            }
        }
        Err(format!("no module declares {resource_type}").into())
    }
}

fn label(block: &Block, i: usize) -> &str {
    block.labels()[i].as_str()
}

/// Output of the S3 Files module that only becomes known once the
/// mount-target wait is over, as `module.<call>.<output>`.
fn mount_targets_ready(root: &Root) -> Result<String> {
    let (call, s3files) = root.call_with("aws_s3files_mount_target")?;
    let wait = s3files
        .blocks("resource", &["time_sleep"])
        .find(|w| {
            depends_on(w.body())
                .iter()
                .any(|d| d.starts_with("aws_s3files_mount_target."))
        })
        .ok_or("no time_sleep depends on the mount targets")?;
    let wait_ref = format!("time_sleep.{}", label(wait, 1));

    let access_point = s3files.block("resource", &["aws_s3files_access_point"])?;
    assert!(
        depends_on(access_point.body()).contains(&wait_ref),
        "the access point does not wait for the mount targets"
    );

    let output = s3files
        .blocks("output", &[])
        .find(|o| {
            attr_text(o.body(), "value").is_some_and(|v| v.starts_with(&format!("{wait_ref}.")))
        })
        .ok_or("the mount-target wait is not exported")?;
    Ok(format!("module.{}.{}", label(call, 0), label(output, 0)))
}

#[test]
fn everything_using_the_access_point_is_in_the_vpc_and_waits_for_mount_targets() -> Result<()> {
    let root = Root::load()?;
    let ready = mount_targets_ready(&root)?;
    let (fs_call, _) = root.call_with("aws_s3files_access_point")?;
    let access_point = format!("module.{}.access_point_", label(fs_call, 0));

    let mut mounting_functions = 0;
    for call in root.calls() {
        let gets_access_point = call
            .body()
            .attributes()
            .any(|a| a.expr().to_string().starts_with(&access_point));
        if !gets_access_point {
            continue;
        }
        let child = root.child(call)?;
        // `depends_on = [var.x]` waits for whatever the root wires into x.
        let waits = |body: &hcl::Body| {
            depends_on(body).iter().any(|d| {
                d.strip_prefix("var.")
                    .is_some_and(|v| attr_text(call.body(), v).as_deref() == Some(ready.as_str()))
            })
        };

        for function in child.blocks("resource", &["aws_lambda_function"]) {
            let body = function.body();
            if nested(body, "file_system_config").is_none() {
                continue;
            }
            let name = format!("{}.{}", child.name, label(function, 1));
            assert!(
                nested(body, "vpc_config").is_some(),
                "{name} mounts S3 Files but has no vpc_config"
            );
            assert!(
                waits(body),
                "{name} mounts S3 Files but does not depend on {ready}"
            );
            mounting_functions += 1;
        }
        for instance in child.blocks("resource", &["aws_instance"]) {
            let name = format!("{}.{}", child.name, label(instance, 1));
            assert!(
                waits(instance.body()),
                "{name} mounts S3 Files at boot but does not depend on {ready}"
            );
        }
    }
    assert!(
        mounting_functions > 0,
        "no Lambda function mounts the access point"
    );
    Ok(())
}

#[test]
fn mount_targets_cover_every_private_subnet_clients_use() -> Result<()> {
    let root = Root::load()?;
    let (fs_call, s3files) = root.call_with("aws_s3files_mount_target")?;
    let mount_target = s3files
        .block("resource", &["aws_s3files_mount_target"])?
        .body();

    // One mount target per element of var.<subnets>, i.e. all of them.
    let count = attr_text(mount_target, "count").ok_or("mount targets are not counted")?;
    let subnets_var = count
        .strip_prefix("length(var.")
        .and_then(|s| s.strip_suffix(')'))
        .ok_or_else(|| format!("mount target count is `{count}`, not length(var.<subnets>)"))?;
    assert_eq!(
        attr_text(mount_target, "subnet_id").as_deref(),
        Some(format!("var.{subnets_var}[count.index]").as_str())
    );

    let wired =
        attr_text(fs_call.body(), subnets_var).ok_or("mount target subnets are not wired")?;
    let (net_call, output) = wired
        .strip_prefix("module.")
        .and_then(|s| s.split_once('.'))
        .ok_or_else(|| format!("mount target subnets come from `{wired}`, not a module"))?;
    let networking = root.child(root.module.block("module", &[net_call])?)?;
    let all_subnets =
        attr_text(networking.block("output", &[output])?.body(), "value").unwrap_or_default();
    let subnet_resource = all_subnets
        .strip_suffix("[*].id")
        .ok_or_else(|| format!("{output} is `{all_subnets}`, not every subnet of one resource"))?;

    // Every subnet handed to a client is one of those.
    let net_prefix = format!("module.{net_call}.");
    for call in root.calls() {
        for arg in call
            .body()
            .attributes()
            .filter(|a| a.key().contains("subnet"))
        {
            let text = arg.expr().to_string();
            let Some(used) = text.strip_prefix(&net_prefix) else {
                continue;
            };
            let value =
                attr_text(networking.block("output", &[used])?.body(), "value").unwrap_or_default();
            assert!(
                value.starts_with(&format!("{subnet_resource}[")),
                "module.{}.{} gets `{value}`, which is not covered by the mount targets on {subnet_resource}",
                label(call, 0),
                arg.key()
            );
        }
    }
    Ok(())
}

#[test]
fn both_functions_run_the_bootstrap_zip_from_make_lambda() -> Result<()> {
    let root = Root::load()?;
    let (call, lambda) = root.call_with("aws_lambda_function")?;

    let zip_local = root
        .module
        .locals()
        .find(|(k, _)| *k == "lambda_zip_path")
        .map(|(_, e)| e.to_string())
        .ok_or("no local.lambda_zip_path")?;
    assert!(
        zip_local.contains(r#""${path.root}/../build/lambda/bootstrap.zip""#),
        "local.lambda_zip_path is `{zip_local}`"
    );
    assert_eq!(
        attr_text(call.body(), "lambda_zip_path").as_deref(),
        Some("local.lambda_zip_path")
    );

    let hash_local = lambda
        .locals()
        .find(|(_, e)| {
            e.to_string()
                .contains("filebase64sha256(var.lambda_zip_path)")
        })
        .map(|(k, _)| format!("local.{k}"));
    let functions: Vec<_> = lambda
        .blocks("resource", &["aws_lambda_function"])
        .collect();
    assert_eq!(
        functions.len(),
        2,
        "expected the before and after functions"
    );
    for function in functions {
        let body = function.body();
        let name = label(function, 1);
        assert_eq!(
            attr_text(body, "filename").as_deref(),
            Some("var.lambda_zip_path"),
            "{name}"
        );
        let hash = attr_text(body, "source_code_hash").unwrap_or_default();
        assert!(
            hash == "filebase64sha256(var.lambda_zip_path)" || Some(&hash) == hash_local.as_ref(),
            "{name}: source_code_hash is `{hash}`"
        );
        assert_eq!(
            constant(body, "runtime"),
            Some(Value::from("provided.al2023")),
            "{name}"
        );
        assert_eq!(
            constant(body, "handler"),
            Some(Value::from("bootstrap")),
            "{name}"
        );
        assert_eq!(
            constant(body, "architectures"),
            Some(Value::from(vec!["arm64"])),
            "{name}"
        );
    }

    let make = fs::read_to_string(root.module.dir.join("terraform.mk"))?;
    assert!(
        make.contains("build/lambda/bootstrap.zip"),
        "terraform.mk looks for another zip"
    );
    Ok(())
}

/// posix_user uid/gid and root_directory path of the access point after
/// evaluating root defaults plus `overrides` through the module call.
fn access_point_identity(overrides: &[(&str, Value)]) -> Result<(Value, Value, Value)> {
    let root = Root::load()?;
    let (call, s3files) = root.call_with("aws_s3files_access_point")?;
    let mut root_vars = root.module.variables(&Map::new());
    root_vars.extend(overrides.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let inputs = module_inputs(call, &root.module.context(root_vars));
    let ctx = s3files.context(s3files.variables(&inputs));

    let body = s3files
        .block("resource", &["aws_s3files_access_point"])?
        .body();
    let user = nested(body, "posix_user").ok_or("no posix_user")?;
    let root_dir = nested(body, "root_directory").ok_or("no root_directory")?;
    let eval = |b: &hcl::Body, key: &str| -> Result<Value> {
        let expr = attr(b, key).ok_or_else(|| format!("no {key}"))?;
        Ok(expr
            .evaluate(&ctx)
            .map_err(|e| format!("{key} = {expr}: {e}"))?)
    };
    Ok((
        eval(user, "uid")?,
        eval(user, "gid")?,
        eval(root_dir, "path")?,
    ))
}

#[test]
fn access_point_is_non_root_by_default_and_root_only_on_opt_in() -> Result<()> {
    let (uid, gid, path) = access_point_identity(&[])?;
    assert_ne!(uid, Value::from(0), "default access point runs as uid 0");
    assert_ne!(gid, Value::from(0), "default access point runs as gid 0");
    assert!(
        matches!(&path, Value::String(p) if p.len() > 1 && p.starts_with('/')),
        "default access point root is {path}, not a scoped directory"
    );

    // The opt-in must exist and be the only way to root.
    let (uid, gid, path) = access_point_identity(&[("allow_root_access", Value::Bool(true))])?;
    assert_eq!(
        (uid, gid, path),
        (Value::from(0), Value::from(0), Value::from("/"))
    );
    Ok(())
}

#[test]
fn every_security_group_from_networking_is_attached() -> Result<()> {
    // checkov cannot follow module outputs (its CKV2_AWS_5 is skipped on
    // these groups), so this is where an orphaned group would surface.
    let root = Root::load()?;
    let (net_call, networking) = root.call_with("aws_vpc")?;
    let net_prefix = format!("module.{}.", label(net_call, 0));
    for output in networking.blocks("output", &[]) {
        let name = label(output, 0);
        if !name.ends_with("security_group_id") {
            continue;
        }
        let wanted = format!("{net_prefix}{name}");
        let mut attached = false;
        for call in root.calls() {
            let Some(arg) = call
                .body()
                .attributes()
                .find(|a| a.expr().to_string() == wanted)
            else {
                continue;
            };
            let child = root.child(call)?;
            let var = format!("var.{}", arg.key());
            attached |= child.blocks("resource", &[]).any(|r| {
                let body = r.body();
                let direct = ["security_groups", "vpc_security_group_ids"]
                    .iter()
                    .any(|k| attr_text(body, k).is_some_and(|t| t.contains(&var)));
                let vpc = nested(body, "vpc_config")
                    .and_then(|v| attr_text(v, "security_group_ids"))
                    .is_some_and(|t| t.contains(&var));
                direct || vpc
            });
        }
        assert!(attached, "{wanted} is attached to nothing");
    }
    Ok(())
}

#[test]
fn file_system_policy_names_the_roles_that_mount() -> Result<()> {
    let root = Root::load()?;
    let (fs_call, _) = root.call_with("aws_s3files_file_system_policy")?;
    let allowed = attr_text(fs_call.body(), "client_role_arns").ok_or("no client_role_arns")?;

    let (lambda_call, _) = root.call_with("aws_lambda_function")?;
    let after_role =
        attr_text(lambda_call.body(), "after_role_arn").ok_or("after role not wired")?;
    assert!(
        allowed.contains(&after_role),
        "{after_role} may not mount (policy allows {allowed})"
    );

    // The runner mounts with the role inside its instance profile.
    let (ec2_call, _) = root.call_with("aws_instance")?;
    let profile =
        attr_text(ec2_call.body(), "instance_profile_name").ok_or("no instance profile wired")?;
    let (id_call, output) = profile
        .strip_prefix("module.")
        .and_then(|s| s.split_once('.'))
        .ok_or("instance profile is not a module output")?;
    let identity = root.child(root.module.block("module", &[id_call])?)?;
    let profile_ref =
        attr_text(identity.block("output", &[output])?.body(), "value").unwrap_or_default();
    let profile_block = profile_ref.trim_end_matches(".name");
    let (_, profile_name) = profile_block
        .split_once('.')
        .ok_or("odd profile reference")?;
    let role = attr_text(
        identity
            .block("resource", &["aws_iam_instance_profile", profile_name])?
            .body(),
        "role",
    )
    .unwrap_or_default();
    let role_arn = role.replace(".name", ".arn");
    let runner_output = identity
        .blocks("output", &[])
        .find(|o| attr_text(o.body(), "value").as_deref() == Some(role_arn.as_str()))
        .ok_or_else(|| format!("identity does not export {role_arn}"))?;
    let runner_role = format!("module.{id_call}.{}", label(runner_output, 0));
    assert!(
        allowed.contains(&runner_role),
        "{runner_role} may not mount (policy allows {allowed})"
    );
    Ok(())
}

/// Whether the before function's precondition that keeps its prefix apart from the keys
/// behind the S3 Files access point holds, for root defaults plus `overrides`.
fn s3_api_and_mount_apart(overrides: &[(&str, Value)]) -> Result<bool> {
    let root = Root::load()?;
    let mut root_vars = root.module.variables(&Map::new());
    root_vars.extend(overrides.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let root_ctx = root.module.context(root_vars);

    let (s3files_call, s3files) = root.call_with("aws_s3files_access_point")?;
    let s3files_vars = s3files.variables(&module_inputs(s3files_call, &root_ctx));
    let s3files_ctx = s3files.context(s3files_vars.clone());
    let (_, workspace) = s3files
        .locals()
        .find(|(k, _)| *k == "workspace_s3_prefix")
        .ok_or("s3files has no local workspace_s3_prefix")?;
    let workspace = workspace
        .evaluate(&s3files_ctx)
        .map_err(|e| format!("workspace_s3_prefix: {e}"))?;

    let (lambda_call, lambda) = root.call_with("aws_lambda_function")?;
    let mut inputs = module_inputs(lambda_call, &root_ctx);
    inputs.insert("workspace_s3_prefix".into(), workspace);
    inputs.insert(
        "root_access_enabled".into(),
        s3files_vars["allow_root_access"].clone(),
    );
    let ctx = lambda.context(lambda.variables(&inputs));
    let function = lambda.block("resource", &["aws_lambda_function", "before"])?;
    let lifecycle = nested(function.body(), "lifecycle").ok_or("before: no lifecycle")?;
    let condition = lifecycle
        .blocks()
        .filter(|b| b.identifier() == "precondition")
        .filter_map(|b| attr(b.body(), "condition"))
        .find(|c| c.to_string().contains("workspace_s3_prefix"))
        .ok_or("before: no precondition on the S3 Files workspace")?;
    match condition.evaluate(&ctx) {
        Ok(Value::Bool(holds)) => Ok(holds),
        other => Err(format!("{condition} = {other:?}").into()),
    }
}

/// Directory markers the S3-API function writes would show up in S3 Files as root-owned
/// directories that the non-root access point cannot write into: the plan refuses any
/// set-up where the two sets of keys overlap.
#[test]
fn the_s3_api_prefix_and_the_mount_prefix_never_overlap() -> Result<()> {
    assert!(s3_api_and_mount_apart(&[])?, "the defaults overlap");
    let s = |v: &str| Value::from(v);
    for overlapping in [
        vec![("before_prefix", s("docproc/"))],
        vec![("before_prefix", s("docproc/before/"))],
        vec![("file_system_prefix", s("before/"))],
        vec![("access_point_root_path", s("/before/in"))],
    ] {
        assert!(
            !s3_api_and_mount_apart(&overlapping)?,
            "{overlapping:?} overlaps"
        );
    }
    assert!(s3_api_and_mount_apart(&[(
        "file_system_prefix",
        s("mnt/")
    )])?);
    // A root access point owns everything anyway.
    assert!(s3_api_and_mount_apart(&[(
        "allow_root_access",
        Value::Bool(true)
    )])?);
    Ok(())
}

/// An event names keys; the function maps them to paths through the bucket and prefix its
/// root shows (EVENT_BUCKET/EVENT_PREFIX on the mount, BUCKET/PREFIX over the API). The
/// rule feeding each function must watch that same prefix's inbox/, or its events are all
/// "outside this function's prefix" and nothing is ever processed.
#[test]
fn each_function_hears_about_its_own_inbox_only() -> Result<()> {
    let root = Root::load()?;
    let squash = |s: String| s.split_whitespace().collect::<String>();
    let events = root.module.block("module", &["events"])?;
    let functions = squash(attr_text(events.body(), "functions").ok_or("events: no functions")?);
    let lambda_call = root.module.block("module", &["lambda"])?;
    let mount_prefix =
        squash(attr_text(lambda_call.body(), "workspace_s3_prefix").ok_or("lambda: no workspace")?);
    for (function, prefix) in [
        ("after", mount_prefix.as_str()),
        ("before", "module.lambda.before_prefix"),
    ] {
        let start = functions
            .find(&format!("{function}={{"))
            .ok_or(format!("events: no {function}"))?;
        let entry = &functions[start
            ..functions[start..]
                .find('}')
                .map_or(functions.len(), |e| start + e)];
        assert!(
            entry.contains(&format!("key_prefix={prefix}")),
            "{function}'s events watch another prefix than its root: {entry}"
        );
    }

    let lambda = root.child(lambda_call)?;
    let after = lambda.block("resource", &["aws_lambda_function", "after"])?;
    let environment = nested(after.body(), "environment").ok_or("after: no environment")?;
    let env = squash(attr_text(environment, "variables").ok_or("after: no variables")?);
    for needle in [
        "EVENT_BUCKET=var.bucket_name",
        "EVENT_PREFIX=var.workspace_s3_prefix",
    ] {
        assert!(
            env.contains(needle),
            "after function: {needle} missing in {env}"
        );
    }

    let module = root.child(events)?;
    let mapping = module.block("resource", &["aws_lambda_event_source_mapping", "inbox"])?;
    assert_eq!(
        constant(mapping.body(), "function_response_types"),
        Some(Value::from(vec![Value::from("ReportBatchItemFailures")]))
    );
    let visibility = module
        .locals()
        .find(|(k, _)| *k == "visibility_timeout")
        .map(|(_, e)| squash(e.to_string()))
        .ok_or("events: no visibility_timeout")?;
    assert!(visibility.contains("6*f.timeout"), "{visibility}");
    Ok(())
}
