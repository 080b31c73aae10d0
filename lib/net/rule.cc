// SPDX-License-Identifier: MIT
// Policy rules. libnl's rule object lacks FRA_SUPPRESS_PREFIXLEN and FIB_RULE_INVERT, so the
// messages are built with libnl's nlmsg API; one encoder serves add and delete.
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <netlink/attr.h>
#include <netlink/route/rtnl.h>

#include <wgkit/net.h>

#include "netlink.h"

namespace wgkit::net {
namespace {

detail::MsgPtr encode(int type, int flags, const Rule& rule) {
    detail::MsgPtr msg(nlmsg_alloc_simple(type, flags));
    if (!msg)
        throw Error("Cannot allocate netlink message", ENOMEM);
    fib_rule_hdr hdr{};
    hdr.family = static_cast<std::uint8_t>(rule.family);
    hdr.action = FR_ACT_TO_TBL;
    // As iproute2: a table below 256 goes in the header, a larger one in FRA_TABLE.
    hdr.table = static_cast<std::uint8_t>(rule.table < 256 ? rule.table : std::uint32_t{RT_TABLE_UNSPEC});
    if (rule.not_fwmark)
        hdr.flags |= FIB_RULE_INVERT;
    detail::check(nlmsg_append(msg.get(), &hdr, sizeof(hdr), NLMSG_ALIGNTO));
    if (rule.table >= 256)
        detail::check(nla_put_u32(msg.get(), FRA_TABLE, rule.table));
    if (rule.priority)
        detail::check(nla_put_u32(msg.get(), FRA_PRIORITY, rule.priority));
    if (rule.not_fwmark)
        detail::check(nla_put_u32(msg.get(), FRA_FWMARK, *rule.not_fwmark));
    if (rule.suppress_prefix)
        detail::check(nla_put_u32(msg.get(), FRA_SUPPRESS_PREFIXLEN, *rule.suppress_prefix));
    return msg;
}

void send(int type, int flags, const Rule& rule) {
    detail::RouteSocket sock;
    detail::MsgPtr msg = encode(type, flags, rule);
    // nl_send_sync takes ownership of the message.
    detail::check(nl_send_sync(sock.get(), msg.release()));
}

int collect(nl_msg* msg, void* arg) {
    auto* out = static_cast<std::vector<Rule>*>(arg);
    nlmsghdr* nlh = nlmsg_hdr(msg);
    if (nlh->nlmsg_type != RTM_NEWRULE)
        return NL_OK;
    auto* hdr = static_cast<fib_rule_hdr*>(nlmsg_data(nlh));
    nlattr* tb[FRA_MAX + 1] = {};
    if (nlmsg_parse(nlh, sizeof(*hdr), tb, FRA_MAX, nullptr) < 0)
        return NL_OK;
    Rule r;
    r.family = hdr->family;
    r.table = tb[FRA_TABLE] ? nla_get_u32(tb[FRA_TABLE]) : hdr->table;
    r.priority = tb[FRA_PRIORITY] ? nla_get_u32(tb[FRA_PRIORITY]) : 0;
    if (tb[FRA_FWMARK] && (hdr->flags & FIB_RULE_INVERT))
        r.not_fwmark = nla_get_u32(tb[FRA_FWMARK]);
    if (tb[FRA_SUPPRESS_PREFIXLEN]) {
        std::uint32_t v = nla_get_u32(tb[FRA_SUPPRESS_PREFIXLEN]);
        if (v != 0xffffffffu) // the kernel reports "unset" as -1
            r.suppress_prefix = static_cast<std::uint8_t>(v);
    }
    // Other kinds of rule (fwmark without "not", selectors, ...) are not wg-quick's; mark
    // them so they never compare equal to one of ours.
    if ((tb[FRA_FWMARK] && !(hdr->flags & FIB_RULE_INVERT)) || hdr->src_len || hdr->dst_len ||
        tb[FRA_IIFNAME] || tb[FRA_OIFNAME] || hdr->action != FR_ACT_TO_TBL)
        r.family = -r.family;
    out->push_back(r);
    return NL_OK;
}

} // namespace

void rule_add(const Rule& rule) {
    send(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, rule);
}

void rule_delete(const Rule& rule) {
    send(RTM_DELRULE, 0, rule);
}

std::vector<Rule> rule_list(int family) {
    detail::RouteSocket sock;
    std::vector<Rule> out;
    detail::check(nl_rtgen_request(sock.get(), RTM_GETRULE, family, NLM_F_DUMP));
    detail::check(nl_socket_modify_cb(sock.get(), NL_CB_VALID, NL_CB_CUSTOM, collect, &out));
    detail::check(nl_recvmsgs_default(sock.get()));
    std::erase_if(out, [](const Rule& r) { return r.family <= 0; });
    return out;
}

} // namespace wgkit::net
