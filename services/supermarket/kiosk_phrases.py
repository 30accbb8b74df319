"""The kiosk's words: ONE catalog of phrase key -> Chinese template with {named} parameters.

Everything the kiosk shows, says aloud, or answers with in a refusal message comes from here:
- the page: kiosk/views.py renders PHRASES into the kiosk page as JSON (and the template's own
  labels), static/js/kiosk/phrases.js formats from it (the JS holds no Chinese of its own);
- the voice: services/supermarket/kiosk_speech.py builds each spoken sentence with spoken();
- the API: the kiosk-facing DomainErrors take their message from phrase().
A screen text and the sentence spoken for it are the same entry: only the parameter values differ
(spoken() reads integers as words, 120 -> 一百二十; goods names are given in their spoken form).
"""
import re

from services.speech import amount_words

PHRASES: dict[str, str] = {
    # --- spoken sentences (keys of /kiosk/speech/<key>); cart_empty is also the empty cart's line
    "attract": "您好,请扫描家庭积分卡",
    "idle_warning": "还需要更多时间吗?需要的话,请点屏幕中间的大按钮",
    "extended": "好的,请您继续",
    "goodbye": "谢谢您,再见",
    "timeout": "时间到了,已经自动退出。请重新扫描积分卡",
    "printing": "正在打印小票,请稍等",
    "large_on": "已经换成大字",
    "large_off": "已经换回正常字号",
    "cart_empty": "还没有选商品。请点商品下面的加号",
    "welcome": "您好,您家现在有{balance}分。请选择要兑换的商品",
    "added": "{goods},每{unit}{price}分。已选{qty}{unit}",
    "removed": "去掉一{unit}{goods},每{unit}{price}分。还选着{qty}{unit}",
    "removed_all": "去掉一{unit}{goods},每{unit}{price}分。已经不选了",
    "cannot_add": "{goods}不能再加了,{reason}",
    "confirm": "您选了:{items}。一共{total}分,兑换后还剩{remaining}分。没问题的话,请点确认兑换",
    "success": "兑换成功。{items}。这次用了{total}分,您家还剩{balance}分。请拿好商品和小票",
    "item": "{goods}{qty}{unit}",
    "item_separator": ",",
    "idle_count": "还有{seconds}秒",
    # --- offline selling (docs/offline.md): the banner and the offline refusals, shown and said
    "offline": "网络断了,仍可兑换。刷卡后会显示您家最多能用多少分",
    "offline_limit": "网络断了,仍可兑换,最多{points}分",
    "offline_expired": "网络断开太久了,暂时不能兑换。请等网络恢复后再来",
    "offline_exhausted": "离线能用的分数不够了,还剩{points}分。请等网络恢复后再兑换",
    "offline_used_up": "离线能用的分数不够了。请等网络恢复后再兑换",
    "offline_unknown": "网络断了,这张卡现在查不到。请等网络恢复后再扫卡",
    "offline_no_data": "网络断了,这台机器还没有离线兑换的资料,暂时不能兑换",
    "offline_scan_lost": "刚才刷卡时网络断了。为了不重复扣分,这张卡要等网络恢复后才能兑换",
    "offline_stock": "商品数量刚刚有变化,请返回重新选择",
    "offline_failed": "没有保存成功,这次没有兑换。请再点一次确认兑换",
    "offline_success": "兑换成功,等网络恢复后会自动同步。这次用了{total}分,离线还能用{points}分。请拿好商品和小票",
    "offline_saved": "兑换成功,等网络恢复后会自动同步。请拿好商品和小票",
    # --- why one more unit cannot go into the cart: the goods card's reason, and cannot_add's {reason}
    "block.sold_out": "已兑完",
    "block.limit": "已达到每户限兑数量",
    "block.stock": "库存只剩{stock}{unit}",
    "block.points": "积分不够",
    "block.points_more": "积分不够再加一{unit}",
    "block.max": "一次最多{max}{unit}",
    # --- card refusals (the scan's `card_unusable` message, its `reason` picks the entry; card_error)
    "card.unreadable": "没有认出这张卡。请把家庭积分卡的二维码对准扫码器,再扫一次",
    "card.unknown": "这张卡无效。请到村或社区办公室核实",
    "card.lost": "这张卡已经挂失。请到村或社区办公室补办新卡",
    "card.revoked": "这张卡已经作废,可能已经补办了新卡。请使用最新的积分卡",
    "card.household_inactive": "这一户已经迁出或合户,这张卡不能再用了。请到村或社区办公室咨询",
    "card.other_site": "这是{site}的积分卡。请到本安置点的积分超市兑换",
    "card.disabled": "这张卡已经停用。请到村或社区办公室核实",
    "card.network": "暂时连不上网络。请稍等一下,再扫一次",
    "card.other": "这张卡现在不能使用。请到村或社区办公室咨询",
    # --- redemption refusals (the redeem error `message`; redeem_failed says the same entry);
    #     <code>_any: the same refusal when it names no goods
    "refusal.insufficient_points": "积分不够",
    "refusal.out_of_stock": "“{goods}”库存不足",
    "refusal.out_of_stock_any": "有的商品库存不足",
    "refusal.limit_exceeded": "“{goods}”{period}每户限兑 {limit}{unit},已经超过了",
    "refusal.limit_exceeded_any": "有的商品超过了每户限兑数量",
    "refusal.goods_unavailable": "“{goods}”已下架",
    "refusal.goods_unavailable_any": "有的商品已下架",
    "refusal.price_changed": "商品积分刚刚调整过",
    "refusal.not_found": "没有这个商品,可能刚刚下架了",
    "refusal.foreign_goods": "这个商品不属于本超市",
    "refusal.session_expired": "操作超时了。请重新扫描积分卡",
    "redeem_adjusted": "{refusal}。购物车已经按最新情况调整,请再确认一次",
    "redeem.network": "网络不通。请再点一次确认兑换,不会重复扣分",
    "redeem.other": "兑换没有成功。请再试一次,或者请工作人员帮忙",
    "redeem.conflict": "这次兑换已经提交过,但内容不同。请重新扫描积分卡",
    "redeem.in_progress": "这次兑换正在处理,请稍候再查看",
    "redeem.no_receipt": "没有这笔兑换记录",
    # --- malformed requests (a kiosk never sends them; the API still answers in words)
    "request.not_json": "请求格式不对(需要 JSON 对象)",
    "request.bad_text": "请求里有无法识别的字符",
    "request.bad_id": "请求编号(request_id)缺失或格式不对",
    "request.bad_total": "expected_total 必须是整数",
    "cart.empty": "购物车是空的,请先选择商品",
    "cart.too_many_lines": "一次最多兑换 {max} 种商品",
    "cart.bad_format": "购物车格式不对",
    "cart.bad_goods_id": "商品编号不对",
    "cart.qty_not_int": "数量必须是整数",
    "cart.qty_min": "数量至少是 1",
    "cart.qty_max": "每种商品一次最多兑换 {max} 件",
    # --- the device and its pairing
    "device.unauthorized": "这台终端还没有配对或已被停用,请联系管理员",
    "device.no_credential": "缺少终端凭证:这台终端还没有配对",
    "pair.bad_code": "配对码是 8 位字母和数字,请核对后重新输入",
    "pair.expired": "配对码无效或已过期,请让管理员重新生成",
    "pair.failed": "配对失败",
    "pair.network": "网络不通,请检查后重试",
    # --- offline selling: the signing key and the sync's answers (docs/offline.md); sync.<code> per refusal
    "offline.bad_key": "离线签名公钥格式不对(需要 P-256 椭圆曲线公钥)",
    "offline.key_exists": "这台终端已经登记过离线签名公钥。要换公钥,请让管理员重新生成配对码并重新配对",
    "offline.no_key": "这台终端还没有登记离线签名公钥,不能上传离线兑换记录",
    "offline.bad_items": "上传格式不对:items 必须是离线兑换记录的列表",
    "offline.too_many": "一次最多上传 {max} 条离线兑换记录,请分批上传",
    "offline.bad_queue": "queue 必须是不小于 0 的整数",
    "sync.bad_item": "这条离线兑换记录格式不对,没有入账",
    "sync.bad_signature": "这条离线兑换记录的签名不对,没有入账。请联系管理员核查",
    "sync.other_device": "这条离线兑换记录属于另一台终端,没有入账",
    "sync.counter_gap": "前面还缺第 {expected} 条离线兑换记录,这一条先不入账。请联系管理员核查",
    "sync.counter_used": "第 {number} 条离线兑换记录已经有另一条入账了,这一条没有入账",
    "sync.uid_used": "这条离线兑换记录的编号已经用过,没有入账",
    "sync.unknown_card": "找不到这张积分卡,这条离线兑换记录没有入账",
    "sync.unknown_goods": "记录里有本超市没有的商品,这条离线兑换记录没有入账",
    # --- the attract screen's rotating notices (公示 and 光荣榜 lines)
    "notice.public": "公示 · {title} · {text}{contact}",
    "notice.contact": ",如有异议请联系{contact}",
    "notice.public_rows": "公示 · {title}:{rows}",
    "notice.row": "{name} {points}分{awards}",
    "notice.awards": "({awards})",
    "notice.honor": "光荣榜 · {title} · {section}:{names}",
    "notice.honor_public": "光荣榜公示 · {title} · {text} · {section}:{names}{contact}",
    "list_separator": "、",
    # --- the ledger kinds in the recent entries (kiosk and the resident's card page)
    "kind.evaluation": "评议积分", "kind.award": "评选奖励", "kind.activity": "参加活动",
    "kind.rule_award": "加分", "kind.rule_deduction": "扣分", "kind.redemption": "兑换商品",
    "kind.redemption_void": "兑换作废退回", "kind.reversal": "更正", "kind.expiry": "积分到期",
    "kind.forfeit": "迁出清零", "kind.transfer_out": "分户转出", "kind.transfer_in": "分户转入",
    "kind.adjustment": "调整", "kind.base_points": "底分",
    "kind.allowance_hold": "暂存超市终端", "kind.allowance_return": "离线额度退回",
    # --- screen labels (kiosk.html and static/js/kiosk/)
    "ui.title": "积分超市",
    "ui.site_title": "{site} · 积分超市",
    "ui.scan_input": "扫码输入",
    "ui.starting": "正在启动…",
    "ui.screen_start": "启动",
    "ui.pair_title": "终端配对",
    "ui.pair_hint": "请输入管理员在后台生成的 8 位配对码",
    "ui.pair_code": "配对码",
    "ui.pair_button": "配对",
    "ui.scan_screen": "请扫卡",
    "ui.scan_title": "请扫描家庭积分卡",
    "ui.scan_hint": "把积分卡上的二维码对准扫码器{camera}",
    "ui.camera_hint": "或屏幕上方的摄像头",
    "ui.choose_screen": "选择商品",
    "ui.head": "户主 {name}",
    "ui.balance": "可用积分{points}分",
    "ui.after_cart": "选完后剩余{points}分",
    "ui.categories": "商品分类",
    "ui.all": "全部",
    "ui.page_up": "▲{br}上一页",
    "ui.page_down": "下一页{br}▼",
    "ui.page_info": "第{page}页\n共{pages}页",
    "ui.cart": "已选商品",
    "ui.total": "合计 {total} 分",
    "ui.checkout": "确认兑换",
    "ui.recent": "最近积分记录",
    "ui.confirm_title": "确认兑换这些商品吗?",
    "ui.confirm_sum": "共 {total} 分,兑换后剩余 {remaining} 分",
    "ui.confirm_hint": "要修改,请点左下角的“返回修改”",
    "ui.success_title": "{tick} 兑换成功",
    "ui.receipt_no": "单号 {number}",
    "ui.success_sum": "本次使用 {total} 分,剩余 {balance} 分",
    "ui.print": "打印小票",
    "ui.finish": "完成",
    "ui.message_screen": "提示",
    "ui.card_refused": "这张卡不能使用",
    "ui.not_paired": "终端未配对",
    "ui.offline": "暂时无法连接",
    "ui.signed_out": "已退出",
    "ui.ok": "知道了",
    "ui.bar": "常用按钮",
    "ui.back": "返回",
    "ui.back_household": "取消并退出",
    "ui.back_confirm": "返回修改",
    "ui.repeat": "↻ 再听一遍",
    "ui.volume_down": "声音小一点",
    "ui.volume_up": "声音大一点",
    "ui.volume": "音量 {level}",
    "ui.muted": "已静音",
    "ui.mute": "静音",
    "ui.unmute": "打开声音",
    "ui.large": "大字模式",
    "ui.normal": "正常字号",
    "ui.idle_title": "还需要更多时间吗?",
    "ui.idle_text": "长时间没有操作,{seconds} 秒后将自动退出",
    "ui.extend": "需要,继续兑换",
    "ui.clock": "{month}月{day}日 星期{weekday} {time}",
    "ui.weekdays": "日一二三四五六",
    "ui.price_unit": " 分/{unit}",
    "ui.stock": "库存 {stock}{unit}",
    "ui.limit_left": " · 还可兑 {left}{unit}",
    "ui.in_cart": "✓ 已选 {qty}{unit}",
    "ui.warning": "⚠ {text}",
    "ui.less": "减少 {goods}",
    "ui.more": "增加 {goods}",
    "ui.cart_line": "{goods} × {qty}",
    "ui.points": "{points} 分",
    "ui.receipt_line": "{goods} × {qty}{unit}",
    "ui.receipt_title": "{site} 积分超市",
    "ui.receipt_number": "单号:{number}",
    "ui.receipt_time": "时间:{time}",
    "ui.receipt_head": "户主:{name}",
    "ui.receipt_item": "{goods} ×{qty}",
    "ui.receipt_points": "{points}分",
    "ui.receipt_total": "合计:{total} 分",
    "ui.receipt_balance": "剩余积分:{balance} 分",
    "ui.receipt_sign": "领取人签字:",
    "ui.offline_balance": "可用(离线){points}分",
    "ui.offline_title": "暂时不能离线兑换",
    "ui.pending_sync": "待同步",
    "ui.offline_receipt_no": "离线第{counter}笔",
    "ui.offline_sum": "本次使用 {total} 分,离线还可用 {points} 分",
    "ui.receipt_pending": "待同步:网络恢复后自动上传",
    "ui.queue_waiting": "有 {count} 笔离线兑换待同步",
    "ui.queue_refused": "有 {count} 笔离线兑换同步被拒,请联系管理员",
    "ui.queue_owed": "欠货(请补货后交给村民):{lines}",
    "ui.owed_line": "{goods} {qty}{unit}(离线第{counter}笔)",
    # --- the resident's own page behind the card QR (/c/<token>)
    "resident.title": "我的家庭积分",
    "resident.head": "{site} · 户主 {name}",
    "resident.balance": "当前可用积分",
    "resident.base_points": "另有底分 {points}(不可兑换)",
    "resident.held_out": "其中 {points} 分暂存在超市终端,断网时也能兑换",
    "resident.recent": "最近的积分记录",
    "resident.no_entries": "还没有积分记录。",
    "resident.read_only": "此页面只读。积分有疑问请到村或社区办公室咨询。",
}

_PARAM = re.compile(r"\{(\w+)\}")


def params_of(key: str) -> set[str]:
    """The parameter names `key`'s template needs (KeyError for an unknown key)."""
    return set(_PARAM.findall(PHRASES[key]))


def phrase(key: str, **params) -> str:
    """`key`'s text as the screen shows it: parameters as given (integers in digits).
    Raises KeyError for an unknown key or a missing parameter."""
    return _fill(key, {name: str(value) for name, value in params.items()})


def spoken(key: str, **params) -> str:
    """`key`'s text as the kiosk says it: integers in words (2 -> 两); text parameters are used as
    given, so callers pass goods names in their spoken form. Same template as phrase()."""
    return _fill(key, {name: amount_words(value) if isinstance(value, int) else str(value)
                       for name, value in params.items()})


def _fill(key: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda match: values[match.group(1)], PHRASES[key])


def kind_label(kind: str) -> str:
    """The resident-facing name of a ledger entry kind (the kind itself when it has none)."""
    return PHRASES.get(f"kind.{kind}", kind)
