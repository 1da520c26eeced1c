"""The example plan's content, shaped like the seed documents: stages, measures and tasks with the
seat that does each, and the quantitative indicators. The example workbook (excel.example) and the
demo county (demo.data) are both built from it."""

from __future__ import annotations

from decimal import Decimal

# Stage → measures → tasks. Each task: (title, seat suffix of its assignee, due offset in the stage window).
STAGES = [
    (
        "准备阶段",
        [
            (
                "成立工作领导小组",
                "principal",
                "校长办公室",
                [
                    ("印发领导小组成立文件", "office"),
                    ("召开领导小组第一次会议", "principal"),
                    ("明确各专业工作组分工", "deputy"),
                ],
            ),
            (
                "开展调研评估",
                "deputy",
                "教导处、总务处",
                [
                    ("对照标准开展办学条件自查", "teacher2"),
                    ("统计教师学历与职称结构", "teacher4"),
                    ("形成自评报告初稿", "office"),
                ],
            ),
            (
                "制定实施方案",
                "office",
                "领导小组办公室",
                [("起草实施方案", "office"), ("征求教职工意见", "teacher3"), ("报县教育局备案", "office")],
            ),
            (
                "宣传动员",
                "deputy",
                "政教处",
                [
                    ("召开全体教师动员大会", "principal"),
                    ("召开家长会宣传优质均衡", "teacher3"),
                    ("校园网及宣传栏专题宣传", "teacher5"),
                ],
            ),
        ],
    ),
    (
        "实施阶段",
        [
            (
                "资源配置优化",
                "deputy2",
                "总务处",
                [
                    ("完善功能室建设，生均校舍面积达标", "teacher2"),
                    ("补充图书至生均25册以上", "teacher2"),
                    ("更新理化生实验室仪器设备", "deputy2"),
                    ("建设录播教室", "teacher2"),
                ],
            ),
            (
                "师资队伍建设",
                "deputy",
                "教导处、各年级组",
                [
                    ("组织教师学历提升报名", "teacher4"),
                    ("开展校本培训（每学期不少于4次）", "teacher4"),
                    ("骨干教师示范课", "teacher5"),
                    ("新教师结对帮扶", "teacher4"),
                ],
            ),
            (
                "教育质量提升",
                "deputy",
                "教导处",
                [
                    ("规范开齐开足国家课程", "teacher1"),
                    ("开展教学常规检查", "teacher1"),
                    ("组织学业质量监测", "teacher1"),
                    ("实施分层作业改革", "teacher5"),
                ],
            ),
            (
                "学生体质健康促进",
                "deputy",
                "体育组",
                [
                    ("落实每天校园体育活动一小时", "teacher3"),
                    ("组织学生体质健康测试", "teacher5"),
                    ("开展近视防控专项行动", "teacher3"),
                ],
            ),
            (
                "控辍保学",
                "deputy",
                "政教处、各班主任",
                [
                    ("建立控辍保学工作台账", "teacher3"),
                    ("开展学困生与留守儿童家访", "teacher3"),
                    ("落实学生资助政策", "office"),
                ],
            ),
            (
                "经费保障与管理",
                "deputy2",
                "总务处、财务室",
                [("编制均衡发展专项经费预算", "deputy2"), ("规范经费使用并按期公示", "office")],
            ),
            (
                "校园安全与文化建设",
                "deputy2",
                "总务处、政教处",
                [
                    ("开展校园安全隐患排查", "teacher2"),
                    ("建设校园文化长廊", "teacher3"),
                    ("完善家校共育机制", "teacher3"),
                ],
            ),
        ],
    ),
    (
        "验收阶段",
        [
            (
                "自查自评",
                "office",
                "领导小组办公室",
                [("对照评估表逐项自评打分", "office"), ("整理三类档案资料并编制目录", "office")],
            ),
            ("整改提高", "deputy", "各专业工作组", [("制定自查问题整改清单", "deputy"), ("落实整改并复查", "deputy2")]),
            (
                "申请验收",
                "principal",
                "校长办公室",
                [("向县教育局提交验收申请", "principal"), ("迎接县教育局评估验收", "principal")],
            ),
            ("总结提升", "principal", "领导小组办公室", [("撰写均衡发展工作总结", "office")]),
        ],
    ),
]

INDICATORS = [
    ("生均校舍面积", "平方米", "ge", Decimal("14")),
    ("生均图书", "册", "ge", Decimal("25")),
    ("教师专科以上学历比例", "%", "ge", Decimal("95")),
    ("初中辍学率", "%", "le", Decimal("2")),
    ("学生体质健康合格率", "%", "ge", Decimal("95")),
    ("每百名学生拥有高于规定学历教师数", "人", "ge", Decimal("4.2")),
]
