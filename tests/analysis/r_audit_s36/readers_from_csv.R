# Independent R computation of lesionlab's paired_tests_readers.csv (series comparisons with reader as a
# factor) from the very CSVs lesionlab reads: the pairs of paired_from_csv.R, then per comparison
# nlme::lme(d ~ reader, random = ~ 1 | patient, REML) with sum-to-zero reader contrasts, the Wald CI and p
# of the intercept, Holm per family, and the joint Wald test of the reader effects (analysis/README.md).
# Usage: Rscript readers_from_csv.R measurements.csv counts.csv out.csv
args <- commandArgs(trailingOnly = TRUE)
# the shared CSV reader, beside this script
local({ a <- commandArgs(trailingOnly = FALSE); here <- dirname(sub("^--file=", "", a[grep("^--file=", a)][1]))
        source(file.path(here, "read_csv.R"), local = globalenv()) })
m <- rd(args[1]); cn <- rd(args[2])
roles <- c("mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal", "ct_arterial", "ct_portal")
m$status <- tolower(trimws(m$status)); m$series_role <- tolower(trimws(m$series_role))
m <- m[m$status == "measured", ]
m$d <- as.numeric(m$diameter_mm)
m$key <- paste(m$patient_id, m$exam_pair_id, m$reader, m$lesion_id, sep = "\r")
m$pkey <- paste(m$patient_id, m$reader, sep = "\r")
m <- m[order(m$patient_id, m$exam_pair_id, m$reader, m$lesion_id, method = "radix"), ]
cn$series_role <- tolower(trimws(cn$series_role)); cn$lobe <- tolower(trimws(cn$lobe))
unc <- tolower(trimws(cn$uncountable)) %in% c("true", "1", "yes", "vrai", "oui")
st <- if ("count_status" %in% names(cn)) tolower(trimws(cn$count_status)) else rep("", nrow(cn))
cn$v <- ifelse(unc | st %in% c("not_read", "not_countable"), NA, suppressWarnings(as.numeric(cn$count)))
cn$ek <- paste(cn$patient_id, cn$exam_pair_id, cn$reader, sep = "\r")
eks <- sort(unique(cn$ek), method = "radix")
cmat <- function(lobe) {
  out <- matrix(NA_real_, length(eks), 6, dimnames = list(eks, roles))
  r <- cn[cn$lobe == lobe, ]
  out[cbind(match(r$ek, eks), match(r$series_role, roles))] <- r$v
  out
}
cr <- cmat("right"); cl <- cmat("left"); cw <- cr + cl
suppressPackageStartupMessages(library(nlme))
f <- function(v) if (is.null(v) || length(v) == 0 || is.na(v)) NA_real_ else unname(as.numeric(v))
fit <- function(an, lev, reg, a, b, d, patient, reader) {
  out <- data.frame(analysis = an, level = lev, region = reg, series_a = a, series_b = b,
                    n_observations = length(d), n_patients = length(unique(patient)),
                    n_readers = length(unique(reader)), mean_diff = NA, se = NA, ci_low = NA, ci_high = NA,
                    z = NA, p = NA, p_reader = NA, sd_patient = NA, sd_residual = NA)
  if (length(d) < 3 || out$n_patients < 2 || out$n_readers < 2 || diff(range(d)) == 0) return(out)
  df <- data.frame(d = d, patient = factor(patient), reader = factor(reader))
  m <- tryCatch(lme(d ~ reader, random = ~ 1 | patient, data = df, method = "REML",
                    contrasts = list(reader = "contr.sum")),
                error = function(e) NULL)
  if (is.null(m)) return(out)
  est <- fixef(m)[1]; V <- vcov(m); se <- sqrt(V[1, 1]); q <- qnorm(0.975)
  b <- fixef(m)[-1]; Vb <- V[-1, -1, drop = FALSE]
  w <- as.numeric(t(b) %*% solve(Vb, b))
  out$mean_diff <- est; out$se <- se; out$ci_low <- est - q * se; out$ci_high <- est + q * se
  out$z <- est / se; out$p <- 2 * pnorm(-abs(est / se)); out$p_reader <- pchisq(w, length(b), lower.tail = FALSE)
  out$sd_patient <- sqrt(as.numeric(getVarCov(m))); out$sd_residual <- m$sigma
  out
}
rows <- list()
for (i in 1:5) for (j in (i + 1):6) {
  a <- roles[i]; b <- roles[j]
  ma <- m[m$series_role == a, ]; mb <- m[m$series_role == b, ]
  both <- intersect(ma$key, mb$key)
  ma <- ma[ma$key %in% both, ]; mb <- mb[match(ma$key, mb$key), ]
  rows[[length(rows) + 1]] <- fit("diameters", "lesion", "whole", a, b, ma$d - mb$d, ma$patient_id, ma$reader)
  pa <- tapply(ma$d, ma$pkey, mean); pb <- tapply(mb$d, ma$pkey, mean)
  pk <- names(pa)
  rows[[length(rows) + 1]] <- fit("diameters", "patient", "whole", a, b, unname(pa - pb),
                                  sub("\r.*", "", pk), sub(".*\r", "", pk))
  for (reg in c("whole", "right", "left")) {
    mm <- switch(reg, whole = cw, right = cr, left = cl)
    ok <- !is.na(mm[, a]) & !is.na(mm[, b])
    k <- strsplit(rownames(mm)[ok], "\r", fixed = TRUE)
    rows[[length(rows) + 1]] <- fit("counts", "exam_pair", reg, a, b, unname(mm[ok, a] - mm[ok, b]),
                                    vapply(k, `[`, "", 1), vapply(k, `[`, "", 3))
  }
}
tab <- do.call(rbind, rows)
tab$p_holm <- NA_real_
fam <- paste(tab$analysis, tab$level, tab$region)
for (g in unique(fam)) tab$p_holm[fam == g] <- p.adjust(tab$p[fam == g], "holm")
write.csv(format(tab, digits = 17), args[3], row.names = FALSE)
