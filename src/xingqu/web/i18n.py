"""The pages' two languages: English and Simplified Chinese, chosen by `?lang=` or a cookie."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

LANGUAGES = ("en", "zh")
COOKIE = "xingqu_lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "html_lang": "en",
        "switch": "中文",
        "tagline": "An open-source interest e-commerce engine",
        "intro": (
            "Xingqu (兴趣, “interest”) runs a marketplace where short videos, livestreams and "
            "posts carry products. Its feed finds what people would like before they search for "
            "it; creators bring goods to their fans; merchants, trade, after-sales and governance "
            "are built in, and quality GMV — sales that stay sold — is what counts."
        ),
        "api": "The API",
        "api_text": "Every use case is an HTTP endpoint, documented twice:",
        "docs": "Interactive docs (Swagger)",
        "redoc": "Reference (ReDoc)",
        "figures": "Live figures",
        "users": "Users",
        "products": "Products on sale",
        "content": "Videos, lives and posts",
        "orders": "Orders",
        "gmv": "GMV (paid)",
        "refunded": "Refunded",
        "demo_users": "Demo consumers",
        "demo_users_text": (
            "Simulated people with hidden interests, some of which they never search for. "
            "Open a feed to see what the engine shows them."
        ),
        "top_latent": "Hidden interest",
        "activity": "Activity",
        "open_feed": "Open feed",
        "no_truth": "No simulated world in this data directory.",
        "feed_of": "Feed of",
        "back": "Home",
        "more": "Refresh for the next page",
        "truth": "What the simulator knows (the engine does not)",
        "explicit": "Says they like",
        "latent": "Hidden interests",
        "empty": "Nothing to show: this user has seen everything, or nothing is on sale.",
        "kind_video": "Video",
        "kind_live": "Live",
        "kind_post": "Post",
        "by": "by",
        "channel": "channel",
        "request": "request",
        "footer": "Xingqu is open source (Apache-2.0). Demo data is simulated.",
    },
    "zh": {
        "html_lang": "zh-CN",
        "switch": "English",
        "tagline": "开源的兴趣电商引擎",
        "intro": (
            "兴趣（Xingqu）运行一个由短视频、直播和图文带货的市场。推荐流在用户搜索之前就发现他们会喜欢的商品；"
            "达人把好物带给粉丝；商家经营、交易、售后与平台治理一应俱全，衡量标准是“优质GMV”——卖出去且不被退回的销售额。"
        ),
        "api": "接口",
        "api_text": "每个用例都是一个 HTTP 接口，有两种文档：",
        "docs": "交互式文档（Swagger）",
        "redoc": "参考文档（ReDoc）",
        "figures": "实时数据",
        "users": "用户",
        "products": "在售商品",
        "content": "视频、直播与图文",
        "orders": "订单",
        "gmv": "GMV（已支付）",
        "refunded": "已退款",
        "demo_users": "演示用户",
        "demo_users_text": "模拟用户带有隐藏的兴趣，其中一些他们从不搜索。打开推荐流，看看引擎给他们推荐了什么。",
        "top_latent": "隐藏兴趣",
        "activity": "活跃度",
        "open_feed": "打开推荐流",
        "no_truth": "此数据目录中没有模拟世界。",
        "feed_of": "推荐流：",
        "back": "首页",
        "more": "刷新查看下一页",
        "truth": "模拟器知道的（引擎并不知道）",
        "explicit": "自述喜欢",
        "latent": "隐藏兴趣",
        "empty": "暂无内容：该用户已看完所有内容，或没有在售商品。",
        "kind_video": "视频",
        "kind_live": "直播",
        "kind_post": "图文",
        "by": "作者",
        "channel": "通道",
        "request": "请求",
        "footer": "兴趣是开源软件（Apache-2.0）。演示数据均为模拟。",
    },
}


def choose_language(request: Request) -> tuple[str, bool]:
    """The language for this request, and whether it was asked for just now (set the cookie)."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered, False
    accept = request.headers.get("accept-language", "").lower()
    return ("zh" if accept.startswith("zh") else "en"), False


def translator(lang: str) -> Callable[[str], str]:
    table = TEXT[lang]
    return lambda key: table.get(key, TEXT["en"].get(key, key))


def pick(lang: str, en: str, zh: str) -> str:
    """One of a bilingual pair, falling back to the other when it is empty."""
    first, second = (zh, en) if lang == "zh" else (en, zh)
    return first or second
