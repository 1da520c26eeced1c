"""Roster workbooks for the tests: messy but valid, and broken in the ways the issue lists."""

from __future__ import annotations

import io

from openpyxl import Workbook

SCHOOL_HEADER = ["序号", "单位代码", "单位名称", "乡镇", "所属中心学校", "学校类别", "地址"]
PEOPLE_HEADER = ["序号", "学校代码", "姓名", "用户名", "手机号码", "职务", "领导小组角色"]


def roster_workbook(schools=None, people=None, *, school_sheet="学校名单", people_sheet="教职工") -> bytes:
    """Title rows above the header, full-width digits, a merged school cell, a note row."""
    wb = Workbook()
    ws = wb.active
    ws.title = school_sheet
    ws.append(["示范县学校名单"])
    ws.append(SCHOOL_HEADER)
    for row in (
        schools
        if schools is not None
        else [
            [1, "ql", "青龙小学", "青石镇", "青石镇中心学校", "小学", "青龙村 1 号"],
            [2, "hs", "红山初级中学", "城关镇", None, "初级中学", None],
        ]
    ):
        ws.append(row)
    ws.append(["注:学校代码请勿重复"])
    if people is not False:
        ps = wb.create_sheet(people_sheet)
        ps.append(["教职工名单"])
        ps.append(PEOPLE_HEADER)
        for row in (
            people
            if people is not None
            else [
                [1, "ql", "王校长", "ql_wang", "１３９００００００１１", "校长", "组长"],
                [2, None, "李老师", None, "13900000022", "教师", None],  # merged: the school above
                [3, "hs", "赵主任", "hs_zhao", None, "教务主任", None],
            ]
        ):
            ps.append(row)
        if people is None:
            ps.merge_cells("B3:B4")
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
