//! Unified diffs of whole files, line endings shown as stored.

/// One line-level operation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Same,
    Del,
    Add,
}

/// Above this many cells the middle of a diff is shown as one replacement.
const MAX_CELLS: usize = 16_000_000;

fn script<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(Op, &'a str)> {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut out: Vec<(Op, &str)> = a[..pre].iter().map(|l| (Op::Same, *l)).collect();
    let (n, m) = (am.len(), bm.len());
    if n.saturating_mul(m) > MAX_CELLS {
        out.extend(am.iter().map(|l| (Op::Del, *l)));
        out.extend(bm.iter().map(|l| (Op::Add, *l)));
    } else {
        // Longest common subsequence, suffix table.
        let w = m + 1;
        let mut t = vec![0u32; (n + 1) * w];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                t[i * w + j] = if am[i] == bm[j] {
                    t[(i + 1) * w + j + 1] + 1
                } else {
                    t[(i + 1) * w + j].max(t[i * w + j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && am[i] == bm[j] {
                out.push((Op::Same, am[i]));
                i += 1;
                j += 1;
            } else if i < n && (j == m || t[(i + 1) * w + j] >= t[i * w + j + 1]) {
                out.push((Op::Del, am[i]));
                i += 1;
            } else {
                out.push((Op::Add, bm[j]));
                j += 1;
            }
        }
    }
    out.extend(a[a.len() - suf..].iter().map(|l| (Op::Same, *l)));
    out
}

/// A unified diff (3 lines of context) from `old` to `new`, or "" when equal.
pub fn unified(old_name: &str, new_name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = script(&a, &b);
    const CTX: usize = 3;
    let changed: Vec<usize> = (0..ops.len()).filter(|&k| ops[k].0 != Op::Same).collect();
    let mut out = format!("--- {old_name}\n+++ {new_name}\n");
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(CTX);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 2 * CTX {
            end = changed[k];
            k += 1;
        }
        let end = (end + CTX + 1).min(ops.len());
        // Line numbers at `start`.
        let (mut la, mut lb) = (1, 1);
        for (op, _) in &ops[..start] {
            match op {
                Op::Same => {
                    la += 1;
                    lb += 1;
                }
                Op::Del => la += 1,
                Op::Add => lb += 1,
            }
        }
        let ca = ops[start..end].iter().filter(|o| o.0 != Op::Add).count();
        let cb = ops[start..end].iter().filter(|o| o.0 != Op::Del).count();
        let fa = if ca == 0 { la - 1 } else { la };
        let fb = if cb == 0 { lb - 1 } else { lb };
        out.push_str(&format!("@@ -{fa},{ca} +{fb},{cb} @@\n"));
        for (op, line) in &ops[start..end] {
            out.push(match op {
                Op::Same => ' ',
                Op::Del => '-',
                Op::Add => '+',
            });
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unified;

    #[test]
    fn hunks_and_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\n";
        let d = unified("a/x", "b/x", old, new);
        assert_eq!(
            d,
            "--- a/x\n+++ b/x\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"
        );
    }

    #[test]
    fn crlf_and_missing_newline_are_shown() {
        let d = unified("a", "b", "x\r\ny", "x\r\nz");
        assert!(
            d.contains("-y\n\\ No newline at end of file\n+z\n\\ No newline"),
            "{d}"
        );
        assert!(d.contains(" x\r\n"));
        assert_eq!(unified("a", "b", "same", "same"), "");
    }

    #[test]
    fn insertion_only() {
        let d = unified("a", "b", "a\nb\n", "a\nnew\nb\n");
        assert!(d.contains("@@ -1,2 +1,3 @@\n a\n+new\n b\n"), "{d}");
        let d = unified("a", "b", "", "x\n");
        assert!(d.contains("@@ -0,0 +1,1 @@\n+x\n"), "{d}");
    }
}
