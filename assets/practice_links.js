/* A practice's name in a practice table (AG Grid) as a link to its own page.
   Why a cell renderer and not markdown: names are data (some hold brackets or asterisks), and React writes
   them as text, never as markup. A plain left click moves within the app as dcc.Link does (no reload);
   a middle or modified click opens a new tab as any link does. */
window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {};
window.dashAgGridComponentFunctions.PracticeLink = function (props) {
    const data = props.data || {};
    const code = data.practice_code;
    if (!code) { return props.value == null ? '' : String(props.value); }
    const href = '/practice/' + encodeURIComponent(code);
    return React.createElement('a', {
        href: href,
        className: 'practice-link',
        onClick: function (event) {
            if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) { return; }
            event.preventDefault();
            window.history.pushState({}, '', href);
            window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
            window.scrollTo(0, 0);
        },
    }, props.value == null ? '' : String(props.value));
};
