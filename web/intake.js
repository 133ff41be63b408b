// intake.js - what the page takes in: image files from the pickers, drops (files and folders) and
// pastes. Only files are taken: a dropped or pasted link or text is named and refused, never
// fetched. The pure helpers at the top are used by the Node tests.

export const IMAGE_NAME = /\.(jpe?g|jfif|pjpeg|pjp|png|apng|bmp|dib|gif|webp|avif|heic|heif)$/i;
// What the file picker offers: the formats the core decodes and those the browser may decode.
export const ACCEPT = 'image/*,.jpg,.jpeg,.jfif,.png,.bmp,.gif,.webp,.avif,.heic,.heif';

export function isImageFile(file) {
  return IMAGE_NAME.test(file.name || '') || /^image\//.test(file.type || '');
}

/** Why nothing was taken from a drop or paste that carried no file, or null when it had none of
 *  those either. types: the DataTransfer's types; text: its text/uri-list or text/plain. */
export function describeNonFiles(types, text) {
  const t = [...(types || [])];
  const s = (text || '').trim();
  const url = /^(https?|ftp|data|blob):/i.test(s) || t.includes('text/uri-list');
  if (url) {
    const shown = s.length > 80 ? `${s.slice(0, 77)}…` : s;
    return `Only image files are taken: the link${shown ? ` ${shown}` : ''} was not fetched (nothing is downloaded). ` +
      'Save the image, then drop the file.';
  }
  if (t.includes('text/plain') || t.includes('text/html') || s) return 'Only image files are taken: dropped or pasted text is ignored.';
  return null;
}

// A name for a pasted image (the clipboard's files are all called "image.png").
export function pastedName(n, type) {
  const ext = ((type || '').split('/')[1] || 'png').replace('jpeg', 'jpg').replace(/[^a-z0-9]/gi, '');
  return `pasted-${n}.${ext || 'png'}`;
}

// Folders dropped in are walked (images only); plain files are taken as they are. The entries must be
// taken from the DataTransfer synchronously, inside the drop event.
export function filesFromDrop(dt) {
  const entries = [...(dt.items || [])].filter((i) => i.kind === 'file')
    .map((i) => (typeof i.webkitGetAsEntry === 'function' ? i.webkitGetAsEntry() : null));
  const plain = [...dt.files];
  if (!entries.some((e) => e && e.isDirectory)) return Promise.resolve({ files: plain, filter: false });
  const out = [];
  const fileOf = (entry) => new Promise((resolve) => entry.file(resolve, () => resolve(null)));
  const readAll = async (dir) => {
    const reader = dir.createReader();
    const all = [];
    for (;;) {
      const batch = await new Promise((resolve) => reader.readEntries(resolve, () => resolve([])));
      if (!batch.length) return all;
      all.push(...batch);
    }
  };
  const walk = async (entry, top) => {
    if (!entry) return;
    if (entry.isFile) {
      const f = await fileOf(entry);
      if (f && (top || isImageFile(f))) out.push(f);
    } else if (entry.isDirectory) {
      for (const child of await readAll(entry)) await walk(child, false);
    }
  };
  return (async () => {
    for (const entry of entries) await walk(entry, true);
    return { files: out, filter: false };
  })();
}

/** Wires the pickers, the drop zone (a click on its background opens the picker), drops anywhere
 *  on the page and pastes. onFiles(files, { filter }) receives the files; onRefused(text) the
 *  reason nothing was taken. */
export function bindIntake({ dropzone, fileInput, folderInput, pickFiles, pickFolder }, { onFiles, onRefused }) {
  fileInput.accept = ACCEPT;
  pickFiles.addEventListener('click', () => fileInput.click());
  pickFolder.addEventListener('click', () => folderInput.click());
  dropzone.addEventListener('click', (e) => {
    // the background and its text open the picker; its own buttons and links do their own thing
    if (e.target.closest('button, a, input, select, label')) return;
    fileInput.click();
  });
  fileInput.addEventListener('change', () => {
    onFiles([...fileInput.files], { filter: false });
    fileInput.value = '';
  });
  folderInput.addEventListener('change', () => {
    onFiles([...folderInput.files], { filter: true });
    folderInput.value = '';
  });

  let depth = 0;
  const carries = (e) => e.dataTransfer && [...e.dataTransfer.types].some((t) => t === 'Files' || t.startsWith('text/'));
  window.addEventListener('dragenter', (e) => {
    if (!carries(e)) return;
    e.preventDefault();
    depth++;
    dropzone.classList.add('dragging');
  });
  window.addEventListener('dragover', (e) => {
    if (!carries(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) dropzone.classList.remove('dragging');
  });
  window.addEventListener('drop', (e) => {
    // dropped anywhere on the page: never let the browser open the file or follow the link instead
    e.preventDefault();
    depth = 0;
    dropzone.classList.remove('dragging');
    const dt = e.dataTransfer;
    if (!dt) return;
    if (!dt.files.length) {
      const why = describeNonFiles(dt.types, dt.getData('text/uri-list') || dt.getData('text/plain'));
      if (why) onRefused(why);
      return;
    }
    filesFromDrop(dt).then(({ files, filter }) => onFiles(files, { filter }));
  });

  let pasted = 0;
  document.addEventListener('paste', (e) => {
    const target = /** @type {Element | null} */ (e.target);
    if (target && target.closest && target.closest('input, textarea, [contenteditable]')) return;
    const cd = e.clipboardData;
    const files = [...(cd ? cd.items : [])].filter((i) => i.kind === 'file').map((i) => i.getAsFile()).filter(Boolean);
    if (!files.length) {
      const why = cd && describeNonFiles(cd.types, cd.getData('text/uri-list') || cd.getData('text/plain'));
      if (why) {
        e.preventDefault();
        onRefused(why);
      }
      return;
    }
    e.preventDefault();
    onFiles(files.map((f) => new File([f], pastedName(++pasted, f.type), { type: f.type, lastModified: Date.now() })),
      { filter: false });
  });
}
