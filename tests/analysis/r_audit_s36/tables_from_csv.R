# Hand count in R of lesionlab's detection.csv and sizes.csv from the same CSVs
# (analysis/README.md: counts per series and lobe; sizes per patient (and reader) and per lesion).
# Usage: Rscript tables_from_csv.R measurements.csv counts.csv detection_out.csv sizes_out.csv
args <- commandArgs(trailingOnly = TRUE)
# the shared CSV reader, beside this script
local({ a <- commandArgs(trailingOnly = FALSE); here <- dirname(sub("^--file=", "", a[grep("^--file=", a)][1]))
        source(file.path(here, "read_csv.R"), local = globalenv()) })
m <- rd(args[1]); cn <- rd(args[2])
roles <- c("mr_t2fs", "mr_dwi", "mr_t1_arterial", "mr_t1_portal", "ct_arterial", "ct_portal")
unc <- tolower(cn$uncountable) %in% c("true", "1", "yes", "vrai", "oui")
st <- if ("count_status" %in% names(cn)) tolower(cn$count_status) else rep("counted", nrow(cn))
nr <- st == "not_read" & !unc
cn$v <- ifelse(unc | nr, NA, suppressWarnings(as.numeric(cn$count)))
cn$ek <- paste(cn$patient_id, cn$exam_pair_id, cn$reader, sep = "\r")
eks <- unique(cn$ek)
cell <- function(role, lobe, what) {
  r <- cn[cn$series_role == role & cn$lobe == lobe, ]
  out <- setNames(rep(if (what == "v") NA_real_ else FALSE, length(eks)), eks)
  out[r$ek] <- switch(what, v = r$v, u = unc[cn$series_role == role & cn$lobe == lobe],
                      n = nr[cn$series_role == role & cn$lobe == lobe])
  out
}
rows <- list()
for (role in roles) for (reg in c("whole", "right", "left")) {
  if (reg == "whole") {
    u <- cell(role, "right", "u") | cell(role, "left", "u")
    n <- (cell(role, "right", "n") | cell(role, "left", "n")) & !u
    v <- cell(role, "right", "v") + cell(role, "left", "v")
  } else { u <- cell(role, reg, "u"); n <- cell(role, reg, "n") & !u; v <- cell(role, reg, "v") }
  v <- v[!is.na(v)]
  rows[[length(rows) + 1]] <- data.frame(series_role = role, region = reg, n_exam_pairs = length(v),
    n_uncountable = sum(u), n_not_read = sum(n), total = if (length(v)) sum(v) else NA,
    mean_per_exam_pair = if (length(v)) mean(v) else NA, sd = sd(v),
    median = if (length(v)) median(v) else NA, min = if (length(v)) min(v) else NA,
    max = if (length(v)) max(v) else NA)
}
write.csv(format(do.call(rbind, rows), digits = 17), args[3], row.names = FALSE)
m <- m[tolower(m$status) == "measured", ]; m$d <- as.numeric(m$diameter_mm)
rows <- list()
for (role in roles) {
  r <- m[m$series_role == role, ]
  pm <- tapply(r$d, paste(r$patient_id, r$reader, sep = "\r"), mean)
  for (lev in c("patient", "lesion")) {
    v <- if (lev == "patient") as.numeric(pm) else r$d
    rows[[length(rows) + 1]] <- data.frame(series_role = role, level = lev, n = length(v),
      mean_mm = if (length(v)) mean(v) else NA, sd_mm = sd(v), median_mm = if (length(v)) median(v) else NA,
      min_mm = if (length(v)) min(v) else NA, max_mm = if (length(v)) max(v) else NA)
  }
}
write.csv(format(do.call(rbind, rows), digits = 17), args[4], row.names = FALSE)
