// Package spreadsheet reads projects from the files finance staff keep
// them in, and writes the files they fill in: the import template, the
// projects in the template's layout, and a copy of an upload with its
// problems marked. (Its other half writes the 自评表 forms and the
// summaries of scores.)
//
// # Layout
//
// A workbook has a 项目 sheet, one row per project, and a 绩效指标 sheet,
// one row per third-level indicator, keyed by 项目编号 (and 年度 when one
// 项目编号 has several years). Columns are found by their header, in any
// order, under the template's names or their synonyms (年度预算数 and
// 调整后预算数 for 全年预算数, 执行数 for 全年执行数, 完成值 for 实际完成值,
// 指标值 for 年度指标值, …); an amount header may carry its unit, as in
// 全年预算数（万元）. A column that holds something under a header that
// is not understood is a problem, and no project of its sheet is taken.
// Optional columns carry the rest of the national 自评表: 实施单位, the
// fund sources (当年财政拨款, 上年结转资金 and 其他资金, each with its
// 预算数 and 执行数, amounts like the others), 年度总体目标 and
// 总体目标完成情况, 预算执行偏差原因, and per indicator 自评得分,
// 完成情况说明, 复核扣减分 and 扣减原因.
// The header row is the first of the first 20 non-empty rows that names
// 项目编号 and another column; the 填写说明 sheet of the template lists
// every column, and sheets named 填写说明 or 问题清单 are not read.
//
// A CSV file holds one table, so it uses the combined layout, which a
// workbook sheet may use too: one row per indicator with the project
// columns on the same row. Rows with the same 项目编号 (and 年度) are one
// project; on its later rows the project columns may be blank and must
// otherwise agree with its first row; a blank 项目编号 continues the
// project of the row above. A project without indicators is one row with
// blank indicator columns. A CSV file is UTF-8 (with or without a byte
// order mark), UTF-16 with a byte order mark, or GBK as a Chinese Excel
// saves it; a file whose encoding cannot be told is refused.
//
// # Values
//
// A workbook's numbers are read as stored, whatever their number format,
// so that a format showing two decimals cannot change an amount; the
// displayed value only tells a date (refused where a number is due), a
// boolean (refused likewise) and a percentage (0.95 shown as 95% is 95).
// Stored values beyond a spreadsheet's 15 significant digits are rounded
// to them, as the spreadsheet shows them, which removes the binary noise
// of formulas such as 490000-447438.63. Amounts in 万元 become yuan
// exactly, in decimal (read with jixiao.ParseNumeral, the one reader of
// decimal text); typed text may use full-width digits, thousands
// separators and stray spaces. A formula is read by its cached result; a
// formula's error value is a problem.
//
// Every problem names its sheet, row, column and project, in Chinese.
// Each project built is also run through jixiao.DecodeProjectsBytes, the
// decoder of the JSON format, so that the two formats cannot disagree on
// what is valid; a JSON upload is read by that decoder directly.
//
// # Limits
//
// Read enforces Limits: the file's size; for a workbook, the number of
// parts and their total size once unzipped, from the archive's directory
// and then through a bounded reader, before the workbook is opened; and
// the rows of each sheet and the cells of all, counted while the rows
// are streamed.
package spreadsheet
