# Independent R computation of lesionlab's agreement.csv (every row) from the very CSVs
# `lesionlab agreement` reads, per analysis/README.md "Agreement between readers":
# psych::ICC(lmer = FALSE) ICC2/ICC2k on the subjects every reader of the row has, Bland-Altman with
# exact limit CIs (non-central t, qt(p, n - 1, 1.96 sqrt(n))), % of the pair mean, Bland & Altman
# 2007 limits by patient, psych::cohen.kappa weighted kappa; detection's positive specific agreement
# counted by hand.
# Usage: Rscript agreement_from_csv.R measurements.csv counts.csv out.csv
suppressMessages(library(psych))
args <- commandArgs(trailingOnly = TRUE)
# the shared CSV reader, beside this script
local({ a <- commandArgs(trailingOnly = FALSE); here <- dirname(sub("^--file=", "", a[grep("^--file=", a)][1]))
        source(file.path(here, "read_csv.R"), local = globalenv()) })
m <- rd(args[1]); cn <- rd(args[2])
roles <- c("mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal", "ct_arterial", "ct_portal")
readers <- sort(unique(c(m$reader, cn$reader)), method = "radix")
mall <- m
m <- m[m$status == "measured", ]; m$d <- as.numeric(m$diameter_mm)
m$subj <- paste(m$patient_id, m$exam_pair_id, m$lesion_id, sep = "\r")
unc <- tolower(cn$uncountable) %in% c("true", "1", "yes", "vrai", "oui")
ok <- !unc & if ("count_status" %in% names(cn)) cn$count_status == "counted" else TRUE
cn$v <- ifelse(ok, suppressWarnings(as.numeric(cn$count)), NA)
cn$subj <- paste(cn$patient_id, cn$exam_pair_id, sep = "\r")
icc <- function(x) {
  r <- tryCatch(suppressWarnings(suppressMessages(ICC(x, lmer = FALSE)))$results, error = function(e) NULL)
  if (is.null(r) || nrow(x) < 3) return(rep(NA_real_, 6))
  c(r["Single_random_raters", "ICC"], r["Single_random_raters", "lower bound"], r["Single_random_raters", "upper bound"],
    r["Average_random_raters", "ICC"], r["Average_random_raters", "lower bound"], r["Average_random_raters", "upper bound"])
}
ba <- function(d) {
  n <- length(d); if (n < 3) return(rep(NA_real_, 7))
  b <- mean(d); s <- sd(d); q <- qt(c(0.025, 0.975), n - 1, 1.96 * sqrt(n)) / sqrt(n)
  c(b, b - 1.96 * s, b + 1.96 * s, b - q[2] * s, b - q[1] * s, b + q[1] * s, b + q[2] * s)
}
rm_loa <- function(d, p) {
  n <- length(d); g <- length(unique(p)); if (n < 3) return(c(NA, NA))
  if (g == n) { s <- sd(d) } else {
    a <- anova(lm(d ~ factor(p))); msb <- a[1, "Mean Sq"]; msw <- a[2, "Mean Sq"]
    mi <- table(p); div <- (n^2 - sum(mi^2)) / ((g - 1) * n)
    s <- sqrt(max((msb - msw) / div, 0) + msw)
  }
  c(mean(d) - 1.96 * s, mean(d) + 1.96 * s)
}
kap <- function(a, b) {
  if (length(a) < 3 || length(unique(c(a, b))) < 2) return(rep(NA_real_, 3))
  k <- suppressWarnings(cohen.kappa(cbind(a, b)))$confid["weighted kappa", ]
  c(k["estimate"], k["lower"], k["upper"])
}
rows <- list()
add <- function(an, role, reg, ra, rb, n, nr, v) rows[[length(rows) + 1]] <<- data.frame(
  analysis = an, series_role = role, region = reg, reader_a = ra, reader_b = rb, n_subjects = n, n_readers = nr,
  icc_a1 = v[1], icc_a1_ci_low = v[2], icc_a1_ci_high = v[3], icc_ak = v[4], icc_ak_ci_low = v[5],
  icc_ak_ci_high = v[6], bias = v[7], loa_low = v[8], loa_high = v[9], loa_low_ci_low = v[10],
  loa_low_ci_high = v[11], loa_high_ci_low = v[12], loa_high_ci_high = v[13], bias_pct = v[14],
  loa_low_pct = v[15], loa_high_pct = v[16], loa_rm_low = v[17], loa_rm_high = v[18],
  kappa_quadratic = v[19], kappa_ci_low = v[20], kappa_ci_high = v[21], positive_agreement = v[22])
one <- function(an, role, reg, wide, pct, kappa) {
  if (length(readers) > 2) {
    x <- wide[complete.cases(wide), , drop = FALSE]
    add(an, role, reg, "", "", nrow(x), length(readers), c(icc(x), rep(NA, 16)))
  }
  for (i in 1:(length(readers) - 1)) for (j in (i + 1):length(readers)) {
    x <- wide[complete.cases(wide[, c(i, j)]), c(i, j), drop = FALSE]
    a <- x[, 1]; b <- x[, 2]; p <- sub("\r.*", "", rownames(x))
    pc <- if (pct) ba(100 * (a - b) / ((a + b) / 2))[1:3] else rep(NA, 3)
    add(an, role, reg, readers[i], readers[j], nrow(x), 2,
        c(icc(x), ba(a - b), pc, rm_loa(a - b, p), if (kappa) kap(a, b) else rep(NA, 3), NA))
  }
}
for (role in roles) {
  r <- m[m$series_role == role, ]
  subj <- sort(unique(r$subj), method = "radix")
  w <- matrix(NA_real_, length(subj), length(readers), dimnames = list(subj, readers))
  w[cbind(match(r$subj, subj), match(r$reader, readers))] <- r$d
  one("diameters", role, "whole", w, TRUE, FALSE)
  r <- cn[cn$series_role == role, ]
  subj <- sort(unique(r$subj), method = "radix")
  lobe <- function(l) { w <- matrix(NA_real_, length(subj), length(readers), dimnames = list(subj, readers))
    q <- r[r$lobe == l, ]; w[cbind(match(q$subj, subj), match(q$reader, readers))] <- q$v; w }
  wr <- lobe("right"); wl <- lobe("left")
  one("counts", role, "whole", wr + wl, FALSE, TRUE)
  one("counts", role, "right", wr, FALSE, TRUE)
  one("counts", role, "left", wl, FALSE, TRUE)
}
# detection, by hand: a reader read a series of an exam pair when they have a measurement row on it or counted
# both lobes; the lesions of an exam pair are every lesion_id any reader gave there; a reader who read the series
# saw a lesion when their row says measured or not_measurable, missed it when not_visible or when they have no
# such lesion at all, and is unknown (left out) when they have the lesion but no row on this series
mall$ek <- paste(mall$patient_id, mall$exam_pair_id, sep = "\r")
counted <- cn[!is.na(cn$v), ]
for (role in roles) {
  for (i in 1:(length(readers) - 1)) for (j in (i + 1):length(readers)) {
    a <- readers[i]; b <- readers[j]; nb <- c(both = 0, oa = 0, ob = 0)
    for (ek in unique(mall$ek)) {
      was_read <- function(r) any(mall$ek == ek & mall$reader == r & mall$series_role == role) ||
        sum(counted$subj == ek & counted$reader == r & counted$series_role == role) == 2
      if (!was_read(a) || !was_read(b)) next
      for (les in unique(mall$lesion_id[mall$ek == ek])) {
        seen <- function(r) {
          row <- mall[mall$ek == ek & mall$reader == r & mall$series_role == role & mall$lesion_id == les, ]
          if (nrow(row)) return(row$status[1] %in% c("measured", "not_measurable"))
          if (any(mall$ek == ek & mall$reader == r & mall$lesion_id == les)) NA else FALSE
        }
        sa <- seen(a); sb <- seen(b)
        if (is.na(sa) || is.na(sb)) next
        nb <- nb + c(sa && sb, sa && !sb, !sa && sb)
      }
    }
    tot <- 2 * nb[["both"]] + nb[["oa"]] + nb[["ob"]]
    add("detection", role, "whole", a, b, sum(nb), 2, c(rep(NA, 21), if (tot) 2 * nb[["both"]] / tot else NA))
  }
}
write.csv(format(do.call(rbind, rows), digits = 17), args[3], row.names = FALSE)
