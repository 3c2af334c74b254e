# The CSV reader every audit script shares (sourced by each): `rd(file)` reads a lesionlab CSV as a spreadsheet
# saved it, every column as text.
# The file as a spreadsheet saved it: LL_SEP (default ","), LL_DEC ("." or ","), LL_ENC (default "UTF-8-BOM"),
# LL_SKIP (1 for a "sep=;" first line); numbers are read by R's as.numeric after the decimal comma is made a point.
invisible(Sys.setlocale("LC_CTYPE", "C.UTF-8"))  # names such as Hélène, whatever the caller's locale
env <- function(k, d) { v <- Sys.getenv(k); if (nzchar(v)) v else d }
SEP <- env("LL_SEP", ","); DEC <- env("LL_DEC", "."); ENC <- env("LL_ENC", "UTF-8-BOM"); SKIP <- as.integer(env("LL_SKIP", "0"))
if (SEP == "tab") SEP <- "\t"
rd <- function(f) {
  x <- read.table(f, sep = SEP, header = TRUE, colClasses = "character", na.strings = character(0), quote = "\"",
                  comment.char = "", check.names = FALSE, fileEncoding = ENC, skip = SKIP, strip.white = FALSE,
                  blank.lines.skip = TRUE)
  for (col in names(x)) Encoding(x[[col]]) <- "UTF-8"  # read into the UTF-8 locale set above: say so
  for (col in intersect(c("diameter_mm", "count"), names(x))) x[[col]] <- if (DEC == ",") chartr(",", ".", x[[col]]) else x[[col]]
  for (col in intersect(c("uncountable", "status", "series_role", "lobe", "count_status"), names(x))) x[[col]] <- tolower(trimws(x[[col]]))
  x
}
