"""A picture for every goods item and category: the goods photo, or a bundled SVG pictogram
(static/img/pictograms/) chosen by keywords in the name, falling back to the category's."""
from functools import lru_cache

from flask import current_app, g, has_request_context, request

#: (keywords, pictogram) - first match wins, so the more specific words come first
ITEM_WORDS = [
    (("油",), "oil"), (("酱", "醋"), "sauce"), (("面", "粉丝"), "noodles"), (("盐", "糖"), "salt"),
    (("蛋",), "egg"), (("米", "面粉", "粮"), "rice"), (("洗衣", "洗洁", "洗发", "消毒"), "detergent"),
    (("皂",), "soap"), (("牙",), "toothpaste"), (("毛巾", "浴巾"), "towel"), (("杯", "碗", "盆", "壶"), "cup"),
    (("本", "纸"), "notebook"), (("笔", "文具", "书包"), "pencil"), (("衣", "袜", "鞋", "帽", "被"), "clothes"),
    (("奶", "水", "饮"), "drink"), (("饼", "糕", "食品", "零食", "罐头"), "food"),
]
CATEGORY_WORDS = [
    (("粮", "油", "米"), "grain"), (("日用", "生活", "清洁", "洗"), "basket"), (("文具", "学习", "书"), "pencil"),
    (("衣", "服装", "鞋"), "clothes"), (("饮", "奶"), "drink"), (("食",), "food"),
]
ALL = "all"
FALLBACK = "box"


def _match(text: str, table, default: str) -> str:
    for words, name in table:
        if any(word in text for word in words):
            return name
    return default


def url(name: str) -> str:
    """The pictogram's static URL under the app's script root (outside a request context: the one
    kiosk/hot_path.py keeps in g)."""
    return _static_url(request.script_root if has_request_context() else g.script_root,
                       current_app.static_url_path, name)


@lru_cache(maxsize=256)
def _static_url(root: str, static_path: str, name: str) -> str:
    """url_for("static", filename=…) for a plain file name, without its per-call cost (more than the
    rest of a goods line)."""
    return f"{root}{static_path}/img/pictograms/{name}.svg"


def category_picture(category: str) -> str:
    return url(_category_pictogram(category or ""))


def goods_picture(name: str, category: str) -> str:
    return url(_goods_pictogram(name or "", category or ""))


@lru_cache(maxsize=4096)
def _category_pictogram(category: str) -> str:
    return _match(category, CATEGORY_WORDS, FALLBACK)


@lru_cache(maxsize=4096)
def _goods_pictogram(name: str, category: str) -> str:
    """Keyword matching per goods line of every scan; a site's goods names rarely change."""
    return _match(name, ITEM_WORDS, _category_pictogram(category))
