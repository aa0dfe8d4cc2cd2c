# E5 continued: the two checks. Under no_grad the leaf rule does not apply; whether backward
# still works depends on which tensors the nodes saved.
import torch

w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)
a = torch.add(w, x)
b = torch.add(w, 1)
y = torch.mul(a, b)       # MulBackward0 saved a and b, not w

with torch.no_grad():
    w.add_(1)
y.backward()
print(w.grad)             # tensor([5.]): computed from the values saved when y was built

w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)
y = torch.mul(w, x)       # MulBackward0 saved w itself

with torch.no_grad():
    w.add_(1)
try:
    y.backward()
except RuntimeError as err:
    print("RuntimeError:", str(err)[:60], "...")
