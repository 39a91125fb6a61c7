"""benchmarks/hlo.py, the one HLO reader of the studies, on a few lines written by hand (no XLA)."""

from benchmarks.hlo import computations, hlo_instructions, opcode

HLO = """HloModule train_loop

%body (p: (s32[], f32[3000])) -> (s32[], f32[3000]) {
  %p = (s32[], f32[3000]{0}) parameter(0)
  %fusion.1 = f32[3000]{0} fusion(%p), kind=kLoop, calls=%fused_computation
  ROOT %tuple = (s32[], f32[3000]{0}) tuple(%p, %fusion.1)
}

ENTRY %main (a: f32[3000]) -> f32[3000] {
  %a = f32[3000]{0} parameter(0)
  %while.3 = (s32[], f32[3000]{0}) while(%a), condition=%cond, body=%body
  ROOT %fusion.2 = f32[3000]{0} fusion(%while.3), kind=kLoop, calls=%fused_2
}
"""


def test_the_opcode_follows_a_tuple_shape():
    assert opcode("%t = (s32[], f32[3000]{0}) tuple(%p, %f)") == "tuple"
    assert opcode("%f = f32[3000]{0} fusion(%p), kind=kLoop") == "fusion"


def test_instructions_and_computations_are_found_by_opcode():
    assert hlo_instructions(HLO, "fusion") == ["fusion.1", "fusion.2"]
    assert hlo_instructions(HLO, "while") == ["while.3"]
    assert set(computations(HLO)) == {"body", "main"} and len(computations(HLO)["body"]) == 3
