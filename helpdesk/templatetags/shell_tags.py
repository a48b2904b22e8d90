"""`{% shellcache %}`: parts of the page shell rendered once per process and reused.

The agent page shell (navigation, account menu, keyboard help, script tags, the inbox's tool
bars) is the same markup on every request for a given language and a few facts about the
viewer, yet rendering it through `{% translate %}`, `{% url %}`, `{% static %}` and `{% include %}`
cost ~6 ms of CPU on every agent page. The block is rendered the first time and the HTML kept
on the template node, keyed by the active language, the script prefix and URLconf and the
values named in the tag:

    {% shellcache user.pk user.can_manage request.resolver_match.namespace %}…{% endshellcache %}

Everything inside that differs between requests MUST be one of those values: nothing else
reaches the key. `{% csrf_token %}` (a fresh mask per response) may not appear inside; the tag
refuses to compile with it. The memory is on the compiled template node, so a template edited
during development (the cached loader recompiles it) starts afresh, and it is bounded per node.
"""

from __future__ import annotations

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

register = template.Library()

# Per node: every language × viewer shape seen; far above what a help desk's staff produce.
MAX_ENTRIES = 2000


class ShellCacheNode(template.Node):
    def __init__(self, nodelist: template.NodeList, vary: list) -> None:
        self.nodelist = nodelist
        self.vary = vary
        self.rendered: dict[tuple, str] = {}

    def render(self, context: template.Context) -> str:
        key = (
            get_language(),
            get_script_prefix(),
            get_urlconf(),  # a request's own URLconf (request.urlconf) reverses differently
            *(value.resolve(context) for value in self.vary),
        )
        try:
            html = self.rendered.get(key)
        except TypeError:  # an unhashable value: render it every time rather than guess
            return self.nodelist.render(context)
        if html is None:
            html = self.nodelist.render(context)
            if len(self.rendered) >= MAX_ENTRIES:
                self.rendered.clear()
            self.rendered[key] = html
        return html


@register.tag
def shellcache(parser: template.base.Parser, token: template.base.Token) -> ShellCacheNode:
    vary = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endshellcache",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(CsrfTokenNode):
        raise template.TemplateSyntaxError(
            "{% csrf_token %} cannot be inside {% shellcache %}: its value changes per response."
        )
    return ShellCacheNode(nodelist, vary)
