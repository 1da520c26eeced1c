"""The example roster workbook shipped in examples/ and offered on the roster import page: two
sheets as a bureau keeps them (a title row, the usual header words), three schools and their staff.
Its centre school column names 青石镇中心学校; create that centre first or clear the column."""

from __future__ import annotations

from excel.writer import Column, XlsxBook

SCHOOLS = [
    ("xc01", "城关第一小学", "城关镇", "", "小学", "城关镇人民路 12 号"),
    ("xc02", "城关初级中学", "城关镇", "", "初中", "城关镇学府路 3 号"),
    ("qs01", "青石镇中心小学", "青石镇", "青石镇中心学校", "小学", "青石镇青石村"),
]
PEOPLE = [
    ("xc01", "陈建国", "xc01_chen", "13800000101", "校长", "组长"),
    ("xc01", "刘芳", "xc01_liu", "13800000102", "副校长", "副组长"),
    ("xc01", "张伟", "", "13800000103", "教务主任", "办公室主任"),
    ("xc01", "王丽", "", "13800000104", "教师", "成员"),
    ("xc02", "赵强", "xc02_zhao", "13800000201", "校长", "组长"),
    ("xc02", "孙敏", "", "13800000202", "德育主任", ""),
    ("qs01", "周磊", "qs01_zhou", "13800000301", "校长", "组长"),
    ("qs01", "吴静", "", "", "教师", ""),
]


def example_roster_workbook() -> XlsxBook:
    book = XlsxBook()
    schools = book.sheet(
        "学校",
        [
            Column("学校代码", 12),
            Column("学校名称", 22),
            Column("乡镇", 12),
            Column("所属中心学校", 18),
            Column("学段", 12),
            Column("地址", 28),
        ],
        caption="示范县学校名单",
    )
    schools.extend(SCHOOLS)
    people = book.sheet(
        "教职工",
        [
            Column("学校代码", 12),
            Column("姓名", 10),
            Column("用户名", 14),
            Column("手机号", 14),
            Column("职务", 12),
            Column("领导小组角色", 14),
        ],
        caption="示范县教职工名单（用户名可留空，系统按姓名生成）",
    )
    people.extend(PEOPLE)
    return book
