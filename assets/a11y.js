/* Accessible names and roles for two third-party widgets that Dash gives no way to fix from Python.
 *
 * dcc.Dropdown (react-select v1 with react-virtualized-select) and dcc.Slider (rc-slider) render their
 * focusable part (a combobox, a slider handle) deep inside the element that carries the Dash id, so our
 * <label for="id"> names nothing and a screen reader announces an unnamed control. This names each from
 * its visible label (and, for a dropdown, its current value: "Year 2022-23", as in the WAI-ARIA collapsible
 * listbox pattern). It drops role="option" from the value shown in a closed dropdown (an option outside any
 * listbox is invalid ARIA; the value is read as part of the name). In an open dropdown the virtualised list
 * has no option roles or ids, so the combobox's aria-activedescendant points at nothing and a screen reader
 * hears no option as the arrow keys move: each row in view gets role="option", the id react-select expects,
 * aria-selected and its place in the list, and the scrolling element becomes the listbox.
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

  function nameDropdown(dropdown) {
    var combobox = dropdown.querySelector('[role="combobox"]');
    var label = labelFor(dropdown);
    if (!combobox || !label) {
      return;
    }
    var ids = [label];
    dropdown.querySelectorAll('.Select-control .Select-value-label, .Select-control .Select-placeholder')
      .forEach(function (shown, index) {
        shown.removeAttribute('role');
        shown.removeAttribute('aria-selected');
        if (!shown.id) {
          shown.id = dropdown.id + '--shown-' + index;
        }
        ids.push(shown.id);
      });
    setIfChanged(combobox, 'aria-labelledby', ids.join(' '));
    dropdown.querySelectorAll('.Select-value-icon').forEach(function (remove) {
      setIfChanged(remove, 'aria-hidden', 'true');  // the mouse's "×"; Backspace removes a value by keyboard
    });
    var listbox = openList(dropdown.querySelector('.Select-menu'), label);
    if (listbox) {
      combobox.removeAttribute('aria-owns');
      setIfChanged(combobox, 'aria-controls', listbox.id);
    } else {
      combobox.removeAttribute('aria-controls');
    }
  }

  /* The open list: react-select's menu (role="listbox") wraps react-virtualized's scrolling grid (role="grid",
     a Tab stop that react-select never lets Tab reach: Tab in an open dropdown chooses the option). The grid,
     the element that scrolls, becomes the listbox; the wrappers around it and around the rows, plain. */
  function openList(menu, label) {
    var grid = menu && menu.querySelector('.ReactVirtualized__Grid');
    var rows = grid && grid.querySelector('.ReactVirtualized__Grid__innerScrollContainer');
    if (!grid || !rows) {
      return null;
    }
    var base = menu.id.replace(/--list$/, '');
    setIfChanged(menu, 'role', 'presentation');
    setIfChanged(grid, 'role', 'listbox');
    setIfChanged(grid, 'id', base + '--listbox');
    setIfChanged(grid, 'aria-labelledby', label);
    grid.removeAttribute('aria-label');
    grid.removeAttribute('aria-readonly');
    setIfChanged(rows, 'role', 'presentation');
    var height = 0;
    rows.querySelectorAll('.VirtualizedSelectOption').forEach(function (option) {
      height = parseFloat(option.style.height);
      var index = height ? Math.round(parseFloat(option.style.top) / height) : -1;
      setIfChanged(option, 'role', 'option');
      setIfChanged(option, 'aria-selected',
        option.classList.contains('VirtualizedSelectSelectedOption') ? 'true' : 'false');
      if (index >= 0) {  // only the rows in view exist: say where each sits in the whole list
        setIfChanged(option, 'id', base + '--option-' + index);
        setIfChanged(option, 'aria-posinset', String(index + 1));
        setIfChanged(option, 'aria-setsize', String(Math.round(parseFloat(rows.style.height) / height)));
      }
    });
    return grid;
  }

  function nameSlider(handle) {
    var slider = handle.closest('.rc-slider');
    var owner = slider && slider.parentElement;
    setIfChanged(handle, 'aria-labelledby', labelFor(owner));
  }

  function patch() {
    document.querySelectorAll('.dash-dropdown[id]').forEach(nameDropdown);
    document.querySelectorAll('.rc-slider-handle[role="slider"]').forEach(nameSlider);
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

  /* A dropdown that just opened or changed is patched at once, before the browser paints and before a
     screen reader (or a test) can read it; other changes (charts drawing, tables filling) are batched. */
  function insideDropdown(mutation) {
    var target = mutation.target;
    return target.nodeType === 1 && target.closest('.dash-dropdown') !== null;
  }

  function onMutations(mutations) {
    if (mutations.some(insideDropdown)) {
      patch();
    } else {
      schedule();
    }
  }

  function start() {
    patch();
    new MutationObserver(onMutations).observe(document.body, {childList: true, subtree: true});
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
