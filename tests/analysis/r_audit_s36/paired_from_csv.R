# Independent R computation of lesionlab's paired_tests.csv from the very CSVs `lesionlab analyze`
# reads (plain lesionlab CSV: comma, dot decimals, UTF-8), following the pairing rules of
# analysis/README.md ("Pairing") with R's own wilcox.test / t.test / p.adjust.
# Usage: Rscript paired_from_csv.R measurements.csv counts.csv out.csv
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
f <- function(v) if (is.null(v) || length(v) == 0 || is.na(v)) NA_real_ else unname(as.numeric(v))
one <- function(an, lev, reg, a, b, x, y) {
  w <- tryCatch(suppressWarnings(wilcox.test(x, y, paired = TRUE)), error = function(e) NULL)
  t <- tryCatch(t.test(x, y, paired = TRUE), error = function(e) NULL)
  n <- length(x)
  data.frame(analysis = an, level = lev, region = reg, series_a = a, series_b = b, n = n,
             mean_a = if (n) mean(x) else NA, mean_b = if (n) mean(y) else NA,
             mean_diff = if (n) mean(x - y) else NA,
             ci_low = f(t$conf.int[1]), ci_high = f(t$conf.int[2]),
             median_diff = if (n) median(x - y) else NA,
             wilcoxon_v = f(w$statistic), wilcoxon_p = f(w$p.value),
             ttest_t = f(t$statistic), ttest_df = f(t$parameter), ttest_p = f(t$p.value))
}
rows <- list()
for (i in 1:5) for (j in (i + 1):6) {
  a <- roles[i]; b <- roles[j]
  ma <- m[m$series_role == a, ]; mb <- m[m$series_role == b, ]
  both <- intersect(ma$key, mb$key)
  ma <- ma[ma$key %in% both, ]; mb <- mb[match(ma$key, mb$key), ]
  rows[[length(rows) + 1]] <- one("diameters", "lesion", "whole", a, b, ma$d, mb$d)
  pa <- tapply(ma$d, ma$pkey, mean)  # R's mean() per patient and reader, lesions in key order
  pb <- tapply(mb$d, ma$pkey, mean)  # mb is aligned on ma's lesions
  rows[[length(rows) + 1]] <- one("diameters", "patient", "whole", a, b, unname(pa), unname(pb))
  for (reg in c("whole", "right", "left")) {
    mm <- switch(reg, whole = cw, right = cr, left = cl)
    ok <- !is.na(mm[, a]) & !is.na(mm[, b])
    rows[[length(rows) + 1]] <- one("counts", "exam_pair", reg, a, b, mm[ok, a], mm[ok, b])
  }
}
tab <- do.call(rbind, rows)
tab$p_holm_wilcoxon <- NA_real_; tab$p_holm_ttest <- NA_real_
fam <- paste(tab$analysis, tab$level, tab$region)
for (g in unique(fam)) {
  s <- fam == g
  tab$p_holm_wilcoxon[s] <- p.adjust(tab$wilcoxon_p[s], "holm")
  tab$p_holm_ttest[s] <- p.adjust(tab$ttest_p[s], "holm")
}
write.csv(format(tab, digits = 17), args[3], row.names = FALSE)
