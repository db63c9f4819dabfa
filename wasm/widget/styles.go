package main

// css is the widget's stylesheet, adopted by its shadow root. The :host
// rules are !important on purpose: important declarations from inside a
// shadow tree beat important declarations of the page, so a portal rule
// such as "* { display:none !important }" cannot hide or restyle the
// widget, and "all: initial" stops inherited fonts and colours at the
// boundary. Sizes are in em (relative to the user's default font size via
// "medium"), never rem, which the portal's root font-size would change.
// In forced colors (Windows high contrast) the QR code opts out of the
// system palette, so it stays black on white with its white quiet zone
// (the rect under the path) and phones can still read it; transparent
// borders and a thicker border on the chosen method stand in for the
// backgrounds and shadows that mode removes.
const css = `
:host{all:initial!important;display:block!important;visibility:visible!important;opacity:1!important;
font:400 medium/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,sans-serif!important;
color:#1b1b1f!important;text-align:start!important;direction:ltr!important;box-sizing:border-box!important}
*,*::before,*::after{box-sizing:inherit}
.cp{max-width:28em;margin:0 auto .75em;padding:1em;border:1px solid #c9ced6;border-radius:.75em;background:#fff;overflow-wrap:anywhere}
.hd{margin:0 0 .75em}
.ag{margin:0;font-size:.875em;color:#4a5160}
.sv{margin:.15em 0 .25em;font-size:1.2em;line-height:1.3;font-weight:650}
.ref{margin:0;font-size:.875em;color:#4a5160}
.big{margin:.35em 0 0;font-size:1.6em;font-weight:700;white-space:nowrap;font-variant-numeric:tabular-nums}
.st{margin:.5em 0;padding:.5em .75em;border-radius:.5em;background:#eef3fb;color:#12325e;font-weight:600;border:1px solid transparent}
.st:empty{display:none}
.sr{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.ms{display:flex;flex-wrap:wrap;gap:.5em;margin:.75em 0;padding:0;border:0}
.ms legend{padding:0;margin:0 0 .35em;font-size:.875em;font-weight:600;color:#4a5160}
button,.btn{font:inherit;font-size:.95em;line-height:1.2;min-height:2.75em;padding:.6em .9em;border-radius:.5em;border:1px solid #8a94a6;background:#fff;color:#1b1b1f;cursor:pointer;text-decoration:none;display:inline-flex;align-items:center;justify-content:center;gap:.35em}
button:hover,.btn:hover{background:#f2f4f8}
button[aria-pressed=true]{border-color:#0b57d0;background:#e8f0fe;color:#0b3d91;font-weight:650;box-shadow:inset 0 0 0 1px #0b57d0}
.pri{background:#0b57d0;border-color:#0b57d0;color:#fff;font-weight:650}
.pri:hover{background:#0a4bb3}
:focus{outline:none}
:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
.qr{margin:.75em auto;text-align:center}
.qr svg{display:block;margin:0 auto;max-width:100%;height:auto;background:#fff}
.qr figcaption{margin-top:.5em;font-size:.95em}
.how{display:block;margin-top:.25em;font-size:.9em;color:#4a5160}
.ph{display:flex;align-items:center;justify-content:center;margin:0 auto;max-width:100%;aspect-ratio:1;border:1px dashed #c9ced6;border-radius:.5em;color:#4a5160;padding:1em;text-align:center}
.cd{margin:.5em 0;text-align:center;font-size:.95em}
.cd time{font-weight:700;font-variant-numeric:tabular-nums}
.dl{margin:.75em 0 0;padding:0}
.row{display:flex;flex-wrap:wrap;align-items:center;gap:.25em .75em;padding:.5em 0;border-top:1px solid #e3e6eb}
.row dt{flex:1 1 100%;margin:0;font-size:.85em;color:#4a5160}
.row dd{flex:1 1 100%;margin:0;display:flex;flex-wrap:wrap;align-items:center;gap:.25em .75em}
.val{flex:1 1 8em;font-weight:600;font-variant-numeric:tabular-nums;user-select:all;-webkit-user-select:all}
.row button{min-height:2.5em;padding:.4em .75em;font-size:.875em}
.note{margin:.5em 0 0;font-size:.85em;color:#4a5160}
.acts{display:flex;flex-wrap:wrap;gap:.5em;margin:.75em 0 0}
.acts .btn{flex:1 1 12em}
.err{margin:.75em 0;padding:.75em;border-radius:.5em;background:#fdecea;color:#7a1010;border:1px solid #f2b8b5}
.err p{margin:0}.err p+p{margin-top:.35em}.err p:empty,.end p:empty{display:none}
.end{text-align:center;padding:1em .5em}
.end h3{margin:.25em 0;font-size:1.3em}
.end p{margin:.5em 0}
.ic{display:block;margin:0 auto;width:3em;height:3em}
.ok h3{color:#0d652d}.bad h3{color:#a50e0e}.off h3{color:#4a5160}
@media (max-width:22em){.cp{padding:.75em}.big{font-size:1.4em}}
@media (forced-colors:active){.qr svg{forced-color-adjust:none}button[aria-pressed=true]{border-width:3px}}
@media (prefers-reduced-motion:no-preference){button,.btn{transition:background-color .15s}}
`
