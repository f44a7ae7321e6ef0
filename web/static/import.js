// 导入: upload a workbook of projects; problems are shown cell by cell.

import { api, download, LoggedOut } from './api.js';
import { h, add, clear, card, table, busy, field, note, downloadLink, fileInput } from './ui.js';
import { choices, forget, yearSelect, deptSelect, evaluationPanel } from './shared.js';

export async function render(view) {
  const picker = fileInput('import-file', '.xlsx,.csv,.json');
  const file = picker.querySelector('input');
  const partial = h('input#import-partial', { type: 'checkbox' });
  const out = h('div.result#import-result', { 'aria-live': 'polite' });
  const after = h('div#after-import');
  const go = h('button.primary#run-import', { type: 'button' }, '导入');

  go.addEventListener('click', () => busy(go, out, async () => {
    const f = file.files[0];
    if (!f) { clear(out, note('请先选择要导入的文件。', 'warning')); return; }
    clear(after);
    const form = () => { const d = new FormData(); d.append('file', f); return d; };
    try {
      const r = await api('/projects/import' + (partial.checked ? '?partial=true' : ''), { method: 'POST', body: form() });
      clear(out, imported(r));
      forget();
      if (r.imported.created + r.imported.updated + r.imported.unchanged > 0) clear(after, await evaluate());
    } catch (e) {
      if (e instanceof LoggedOut) return;
      const cells = (e.errors || []).map(locate);
      clear(out, h('div.alert.error', { role: 'alert' }, h('strong', `导入未完成${e.status ? `（HTTP ${e.status}）` : ''}：`), e.message,
        cells.length ? '。未保存任何项目，请按下表修改后重新导入。' : ''));
      if (cells.length) {
        const msg = h('span.download-msg', { role: 'status' });
        const marked = h('button.link#download-marked', { type: 'button' }, '下载标注了问题单元格的工作簿');
        marked.addEventListener('click', () => busy(marked, null, async () => {
          clear(msg);
          await download('/projects/import/marked', { method: 'POST', body: form() })
            .catch((err) => { if (!(err instanceof LoggedOut)) clear(msg, '下载失败：' + err.message); });
        }));
        add(out, problemTable(cells), /\.xlsx$/i.test(f.name) ? h('p', marked, ' ', msg) : null);
      }
    }
  }));

  add(view,
    h('div.page-head', h('h1', '导入'), h('p.muted', '按模板填写项目和绩效指标后上传（Excel 工作簿，也可为 CSV 或 JSON）。导入需要评分员及以上权限。')),
    h('div.columns',
      card('导入模板',
        h('p', '模板包含“项目”“绩效指标”两张工作表和“填写说明”。按列标题识别各列，金额单位为元。'),
        downloadLink('/api/v1/import/template', '下载导入模板（Excel）', 'template-link')),
      card('上传文件',
        field('文件', picker),
        h('label.check', partial, '只导入无误的项目，列出有问题的项目（默认：有任何问题则全部不导入）'),
        h('div.form-row', go))),
    out, after);
}

// locate turns an error's location into sheet, cell and column: the API
// gives sheet, row and column (its header), and a field such as 项目!F3.
function locate(e) {
  let sheet = e.sheet || '', row = e.row, column = e.column || '', cell = '';
  const field = e.field || '';
  const bang = field.lastIndexOf('!');
  if (bang >= 0) {
    sheet ||= field.slice(0, bang);
    const ref = field.slice(bang + 1);
    const m = /^([A-Z]{1,3})(\d+)$/i.exec(ref);
    if (m) {
      cell = ref.toUpperCase();
      row ||= Number(m[2]);
    } else column ||= ref;
  } else if (!sheet) column ||= field;
  if (!cell && /^[A-Z]{1,3}$/.test(column) && row) cell = column + row;
  return { sheet, row, column, cell, project: e.project || '', message: e.message };
}

function problemTable(rows) {
  return table([
    { label: '工作表', value: (p) => p.sheet },
    { label: '单元格', value: (p) => p.cell || (p.row ? `第 ${p.row} 行` : ''), cell: (p) => h('code.where', p.cell || (p.row ? `第 ${p.row} 行` : '—')) },
    { label: '列', value: (p) => p.column },
    { label: '项目', value: (p) => p.project },
    { label: '问题', value: (p) => p.message, class: 'name' },
  ], rows, { id: 'import-errors' });
}

function imported(r) {
  const n = r.imported;
  const problems = (r.problems || []).map(locate);
  return h('div',
    note(`已导入（${r.format}）：新增 ${n.created} 个，更新 ${n.updated} 个，未变 ${n.unchanged} 个项目。`, 'success'),
    problems.length || r.invalid?.length
      ? h('div', note(`以下 ${r.invalid?.length || 0} 个项目有问题，未导入：${(r.invalid || []).join('，')}`, 'warning'), problemTable(problems))
      : null);
}

async function evaluate() {
  const { years, departments } = await choices(true);
  const year = yearSelect(years, years[0] ?? '', { id: 'import-eval-year' });
  const dept = deptSelect(departments, '', { id: 'import-eval-department' });
  const panel = await evaluationPanel({
    describe: () => '对导入后的项目按所选规则集运行正式评价。',
    selection: () => ({ year: Number(year.value) || undefined, department: dept.value || undefined }),
    done: () => forget(),
  });
  panel.element.querySelector('.form-row').prepend(field('年度', year), field('主管部门', dept));
  return panel.element;
}
