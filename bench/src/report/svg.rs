//! A hand-written SVG chart: one panel of horizontal bars per measure and pass.

use std::fmt::Write as _;

use crate::report::model::{PassResult, Results};
use crate::stats::group_thousands;

const WIDTH: f64 = 960.0;
const LABEL_W: f64 = 250.0;
const VALUE_W: f64 = 110.0;
const BAR_H: f64 = 18.0;
const GAP: f64 = 6.0;
const TITLE_H: f64 = 30.0;
const PANEL_GAP: f64 = 18.0;

struct Panel {
    title: String,
    unit: &'static str,
    bars: Vec<(String, f64, bool)>,
}

pub fn chart(r: &Results) -> String {
    let panels: Vec<Panel> = r
        .passes
        .iter()
        .flat_map(panels)
        .filter(|p| !p.bars.is_empty())
        .collect();
    let height: f64 = 66.0
        + panels
            .iter()
            .map(|p| TITLE_H + p.bars.len() as f64 * (BAR_H + GAP) + PANEL_GAP)
            .sum::<f64>();
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let _ = writeln!(
        s,
        r##"<defs><pattern id="ours" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#1f77b4"/><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>"##
    );
    let _ = writeln!(
        s,
        r##"<text x="10" y="22" font-size="15" font-weight="bold">docproc benchmark ({} profile), one local S3 server</text>"##,
        esc(&r.profile)
    );
    let _ = writeln!(
        s,
        r##"<text x="10" y="40" fill="#555">{}</text>"##,
        esc(&r.machine.one_line())
    );
    let _ = writeln!(
        s,
        r##"<text x="10" y="56" fill="#555">Shorter is better for times, longer for throughput; a log scale when values span over 50x. Hatched: ours.</text>"##
    );
    let mut y = 66.0;
    for p in &panels {
        y = panel(&mut s, p, y);
    }
    s.push_str("</svg>\n");
    s
}

fn panels(pass: &PassResult) -> Vec<Panel> {
    let tag = if pass.latency_ms > 0 {
        format!(" ({} ms per request)", pass.latency_ms)
    } else {
        " (loopback)".into()
    };
    let ours = |b: crate::backends::BackendKind| b == crate::backends::BackendKind::Docproc;
    let mut inbox = Panel {
        title: format!("process-inbox wall time{tag}"),
        unit: "ms",
        bars: Vec::new(),
    };
    let mut walk = Panel {
        title: format!("walk: list + stat{tag}"),
        unit: "ms",
        bars: Vec::new(),
    };
    let mut hash = Panel {
        title: format!("hash: read + SHA-256 throughput{tag}"),
        unit: "MiB/s",
        bars: Vec::new(),
    };
    if let Some(raw) = &pass.raw {
        walk.bars.push((
            "raw ListObjectsV2 sweep".into(),
            raw.list_sweep_ms.mean(),
            false,
        ));
        if let Some(p) = raw.parallel_get_mib_s {
            hash.bars
                .push(("raw parallel GETs (no hashing)".into(), p, false));
        }
    }
    for row in &pass.rows {
        if let Some(x) = row.inbox.as_ref().and_then(|c| c.ok()) {
            inbox
                .bars
                .push((row.label.clone(), x.wall_ms.mean(), ours(row.backend)));
        }
        if let Some(x) = row.walk.as_ref().and_then(|c| c.ok()) {
            walk.bars
                .push((row.label.clone(), x.ms.mean(), ours(row.backend)));
        }
        if let Some(x) = row.hash.as_ref().and_then(|c| c.ok()) {
            hash.bars
                .push((row.label.clone(), x.read_mib_s.mean(), ours(row.backend)));
        }
    }
    vec![inbox, walk, hash]
}

fn panel(s: &mut String, p: &Panel, mut y: f64) -> f64 {
    let _ = writeln!(
        s,
        r##"<text x="10" y="{}" font-size="13" font-weight="bold">{} ({})</text>"##,
        y + 18.0,
        esc(&p.title),
        p.unit
    );
    let values: Vec<f64> = p
        .bars
        .iter()
        .map(|b| b.1)
        .filter(|v| v.is_finite() && *v > 0.0)
        .collect();
    let max = values.iter().copied().fold(0.0, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let log = max > 0.0 && min > 0.0 && max / min > 50.0;
    if log {
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{}" fill="#555" font-size="10" text-anchor="end">log scale</text>"##,
            WIDTH - 10.0,
            y + 18.0
        );
    }
    y += TITLE_H;
    let span = WIDTH - LABEL_W - VALUE_W - 20.0;
    let scale = |v: f64| -> f64 {
        if !(v.is_finite() && v > 0.0 && max > 0.0) {
            return 0.0;
        }
        if log {
            // From a tenth of the minimum, so the smallest bar still shows.
            let lo = (min / 10.0).ln();
            span * ((v.ln() - lo) / (max.ln() - lo)).clamp(0.0, 1.0)
        } else {
            span * v / max
        }
    };
    for (label, value, ours) in &p.bars {
        let w = scale(*value);
        let fill = if *ours {
            "url(#ours)"
        } else if label.starts_with("raw") {
            "#7f7f7f"
        } else {
            "#6baed6"
        };
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end">{}</text>"##,
            LABEL_W - 8.0,
            y + BAR_H - 5.0,
            esc(label)
        );
        let _ = writeln!(
            s,
            r##"<rect x="{LABEL_W}" y="{y}" width="{w:.1}" height="{BAR_H}" fill="{fill}"/>"##
        );
        let _ = writeln!(
            s,
            r##"<text x="{:.1}" y="{}">{}</text>"##,
            LABEL_W + w + 6.0,
            y + BAR_H - 5.0,
            value_text(*value, p.unit)
        );
        y += BAR_H + GAP;
    }
    y + PANEL_GAP
}

fn value_text(v: f64, unit: &str) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    if v >= 100.0 {
        format!("{} {unit}", group_thousands(v.round() as u64))
    } else {
        format!("{v:.1} {unit}")
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
