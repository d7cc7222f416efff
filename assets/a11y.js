/* Accessible names and roles for Dash 4's dcc.Dropdown, RadioItems, Checklist and Slider, which Dash gives no
 * way to fix from Python. Each fix is for a serious axe-core finding (tests/e2e/test_accessibility.py).
 *
 * Option lists (RadioItems, Checklist, and the list inside an open Dropdown) are a role="listbox" of
 * <label role="option"> wrapping a native radio or checkbox, and focus moves to those inputs: an option
 * may not contain a focusable control (nested-interactive), and the unnamed listbox hides the fieldset's
 * legend. The roles are dropped, leaving what a screen reader handles best, native radios and checkboxes
 * (named by their label, grouped by our <fieldset>/<legend>); arrow keys move between radios natively.
 * React sets aria-selected again when the choice changes, so attribute changes are watched too.
 *
 * A Dropdown is a <button id=…> that opens a Radix popover (role="dialog") holding that list. Its name
 * comes only from the value shown (aria-labelledby "<id>-value-count <id>-value"), so our
 * <label for=id> is ignored: the label joins the name ("Year 2022-23"), in the order shown on screen.
 * aria-haspopup says "dialog", which is what opens; the dialog and the list inside it are named by the
 * label. Dash puts an aria-hidden, focusable <input> before the button as the Tab stop (for Safari,
 * which skips buttons when tabbing unless its "Press Tab to highlight each item" setting is on): a
 * focusable element hidden from screen readers (aria-hidden-focus). That input is disabled and the
 * button itself becomes the Tab stop, like every other button on the page.
 *
 * A Slider's handle (role="slider") and its number box have no name: both are named by the label.
 *
 * Served from /assets (allowed by the Content-Security-Policy's 'self'); the widgets work without it.
 */
(function () {
  'use strict';

  function labelFor(control) {
    if (!control || !control.id) {
      return null;
    }
    var label = document.querySelector('label[for="' + CSS.escape(control.id) + '"]');
    if (!label) {
      return null;
    }
    if (!label.id) {
      label.id = control.id + '--label';
    }
    return label.id;
  }

  function setIfChanged(element, name, value) {
    if (value && element.getAttribute(name) !== value) {
      element.setAttribute(name, value);
    }
  }

  function removeIfPresent(element, name) {
    if (element.hasAttribute(name)) {
      element.removeAttribute(name);
    }
  }

  /* Plain native inputs: no listbox around them, no option roles on their labels. */
  function plainOptions(list, role, label) {
    if (role) {
      setIfChanged(list, 'role', role);
      setIfChanged(list, 'aria-labelledby', label);
    } else {
      removeIfPresent(list, 'role');
    }
    list.querySelectorAll('.dash-options-list-option').forEach(function (option) {
      removeIfPresent(option, 'role');
      removeIfPresent(option, 'aria-selected');
    });
  }

  function patchDropdown(button) {
    var label = labelFor(button);
    var wrapper = button.closest('.dash-dropdown-wrapper');
    if (!label || !wrapper) {
      return;
    }
    var ids = [label];
    [button.id + '-value', button.id + '-value-count'].forEach(function (id) {
      if (document.getElementById(id)) {
        ids.push(id);
      }
    });
    setIfChanged(button, 'aria-labelledby', ids.join(' '));
    setIfChanged(button, 'aria-haspopup', 'dialog');
    var target = wrapper.querySelector('.dash-dropdown-focus-target');
    if (target && !button.disabled) {
      if (!target.disabled) {
        target.disabled = true;
      }
      setIfChanged(button, 'tabindex', '0');
    }
    var clear = button.querySelector('.dash-dropdown-clear');
    if (clear) {  // the mouse's "×" (not focusable); Delete or Backspace on the button clears by keyboard
      setIfChanged(clear, 'aria-hidden', 'true');
    }
    var dialog = wrapper.querySelector('.dash-dropdown-content[role="dialog"]');
    if (dialog) {
      setIfChanged(dialog, 'aria-labelledby', label);
      var list = dialog.querySelector('.dash-options-list');
      if (list) {
        plainOptions(list, 'group', label);
      }
    }
  }

  function patchSlider(thumb) {
    var owner = thumb.closest('.dash-slider-container');
    var label = labelFor(owner);
    setIfChanged(thumb, 'aria-labelledby', label);
    owner.querySelectorAll('input.dash-range-slider-input').forEach(function (box) {
      setIfChanged(box, 'aria-labelledby', label);
    });
  }

  /* AG Grid: the rows viewport scrolls but holds nothing Tab reaches (cells are reached with the arrow keys),
     so it gets a tab stop of its own for keyboard scrolling. Only the rows viewport (a rowgroup): a tab stop
     on the outer one, role=presentation, would void that role and break the grid's structure. */
  function patchGrid(grid) {
    grid.querySelectorAll('.ag-center-cols-viewport').forEach(function (viewport) {
      setIfChanged(viewport, 'tabindex', '0');
    });
  }

  function patch() {
    document.querySelectorAll('.ag-root-wrapper').forEach(patchGrid);
    document.querySelectorAll('button.dash-dropdown[id]').forEach(patchDropdown);
    document.querySelectorAll('.dash-radioitems.dash-options-list, .dash-checklist.dash-options-list')
      .forEach(function (list) { plainOptions(list, null, null); });
    document.querySelectorAll('.dash-slider-container[id] [role="slider"]').forEach(patchSlider);
  }

  var pending = null;
  function schedule() {
    if (pending === null) {
      pending = setTimeout(function () {
        pending = null;
        patch();
      }, 30);
    }
  }

  /* A control that just opened or changed is patched at once, before the browser paints and before a
     screen reader (or a test) can read it; other changes (charts drawing, tables filling) are batched. */
  function insideControl(mutation) {
    var target = mutation.target;
    return target.nodeType === 1 && target.closest('.dash-dropdown-wrapper, .dash-options-list') !== null;
  }

  function onMutations(mutations) {
    if (mutations.some(insideControl)) {
      patch();
    } else {
      schedule();
    }
  }

  function start() {
    patch();
    new MutationObserver(onMutations).observe(document.body, {
      childList: true, subtree: true, attributes: true,
      attributeFilter: ['role', 'aria-selected', 'aria-labelledby', 'aria-haspopup', 'tabindex']
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
